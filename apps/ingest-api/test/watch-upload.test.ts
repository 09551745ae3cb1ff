/**
 * WatchUpload over gRPC, on the in-memory staging store and a projection the test controls:
 * every way the watch can end reaches the client as a message or a status, never as silence.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { UploadStatus, type UploadState } from '@sluice/proto';
import type { WatchTiming } from '../src/upload-watch.ts';
import { serve } from './harness.ts';
import { follow, memoryIngest } from './memory-ingest.ts';

function projected(uploadId: string, status: UploadStatus): UploadState {
  return {
    uploadId,
    nodeId: 'node-1',
    drive: 'docs',
    status,
    filename: 'f.bin',
    chunksStaged: 1,
    bytesStaged: 1n,
    partsStored: 1,
    bytesStored: 1n,
    totalChunks: 1,
    stagedChunks: [0],
    bucket: 'b',
    key: 'k',
    errorCode: '',
    errorMessage: '',
    createdAt: new Date(),
    updatedAt: new Date(),
  };
}

async function setup(t: TestContext, watch: WatchTiming) {
  const { app, ...rest } = await memoryIngest(t, { watch });
  return { ...rest, client: await serve(t, app) };
}

describe('WatchUpload', () => {
  it('answers an unknown upload NOT_FOUND at once, as GetUploadStatus does', async (t) => {
    const { client } = await setup(t, {});
    const { messages, ended } = follow(client, 'no-such-upload');
    const end = await ended;
    assert.equal(end.code, GrpcStatus.NOT_FOUND);
    assert.match(end.details, /does not exist for your tenant/);
    assert.equal(messages.length, 0);
  });

  it('follows an upload through the gap between staging and its projection to its final state', async (t) => {
    const { staging, projection, client, uploadId } = await setup(t, { gapMs: 30_000 });
    let dropped = false;
    const { messages, ended } = follow(client, uploadId, () => {
      if (dropped) return;
      dropped = true;
      // The assembler ends the upload and drops its staging state; the projector is behind.
      void staging
        .deleteUpload(uploadId)
        .then(() =>
          setTimeout(
            () => projection.rows.set(uploadId, projected(uploadId, UploadStatus.UPLOAD_STATUS_COMPLETED)),
            200,
          ),
        );
    });
    const end = await ended;
    assert.equal(end.code, GrpcStatus.OK, end.details);
    assert.equal(messages.at(-1)?.final, true);
    assert.equal(messages.at(-1)?.upload?.status, UploadStatus.UPLOAD_STATUS_COMPLETED);
  });

  it('keeps the heartbeat going through the gap, with the last state it saw', async (t) => {
    const { staging, client, uploadId } = await setup(t, { gapMs: 30_000, heartbeatMs: 100 });
    const { messages, call, ended } = follow(client, uploadId, () => void staging.deleteUpload(uploadId));
    while (messages.length < 4) await new Promise((r) => setTimeout(r, 20));
    call.cancel();
    assert.equal((await ended).code, GrpcStatus.CANCELLED);
    assert.ok(messages.every((m) => m.upload?.uploadId === uploadId && !m.final));
  });

  it('ends NOT_FOUND when an upload it saw stays missing past the gap', async (t) => {
    const { staging, client, uploadId } = await setup(t, { gapMs: 300 });
    const { messages, ended } = follow(client, uploadId, () => void staging.deleteUpload(uploadId));
    const end = await ended;
    assert.equal(end.code, GrpcStatus.NOT_FOUND);
    assert.equal(messages.length, 1);
  });

  it('ends UNAVAILABLE, retriable, when the projection cannot be read and staging has nothing', async (t) => {
    const { staging, projection, client, uploadId } = await setup(t, {});
    await staging.deleteUpload(uploadId);
    projection.mode = 'fail';
    const end = await follow(client, uploadId).ended;
    assert.equal(end.code, GrpcStatus.UNAVAILABLE);
    assert.match(end.details, /projection could not be read .*ECONNREFUSED.*retry/);
  });

  it('ends UNAVAILABLE when a read does not answer in time', async (t) => {
    const { staging, projection, client, uploadId } = await setup(t, { readTimeoutMs: 200 });
    await staging.deleteUpload(uploadId);
    projection.mode = 'hang';
    const end = await follow(client, uploadId).ended;
    assert.equal(end.code, GrpcStatus.UNAVAILABLE);
    assert.match(end.details, /longer than 200 ms/);
  });

  it('sends the unchanged state again at each heartbeat, so a quiet upload is not a dead stream', async (t) => {
    const { client, uploadId } = await setup(t, { heartbeatMs: 100 });
    const { messages, call, ended } = follow(client, uploadId);
    while (messages.length < 3) await new Promise((r) => setTimeout(r, 20));
    call.cancel();
    assert.equal((await ended).code, GrpcStatus.CANCELLED);
    assert.deepEqual(
      messages.map((m) => m.upload?.status),
      [
        UploadStatus.UPLOAD_STATUS_INITIATED,
        UploadStatus.UPLOAD_STATUS_INITIATED,
        UploadStatus.UPLOAD_STATUS_INITIATED,
      ],
    );
    assert.ok(messages.every((m) => !m.final));
  });
});

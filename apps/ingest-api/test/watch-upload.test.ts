/**
 * WatchUpload over gRPC, on the in-memory staging store and a projection the test controls:
 * every way the watch can end reaches the client as a message or a status, never as silence.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { ChecksumPool } from '@sluice/checksums';
import {
  UploadStatus,
  WatchUploadRequest,
  type IntakeServiceClient,
  type UploadState,
  type WatchUploadResponse,
} from '@sluice/proto';
import { MemoryStaging } from '@sluice/staging';
import { newUpload } from '@sluice/staging/testing';
import { parseTenants } from '@sluice/tenants';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { buildApp } from '../src/app.ts';
import { DEFAULT_LIMITS } from '../src/limits.ts';
import type { ProjectedUploads } from '../src/status.ts';
import type { WatchTiming } from '../src/upload-watch.ts';
import { auth, serve, tenantsEnv, tenantsText } from './harness.ts';

/** The projector's read side as the test sets it: rows, a failure, or a read that never answers. */
class Projection implements ProjectedUploads {
  readonly rows = new Map<string, UploadState>();
  mode: 'answer' | 'fail' | 'hang' = 'answer';

  find(_tenant: string, uploadId: string): Promise<UploadState | undefined> {
    if (this.mode === 'fail') return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:13306'));
    if (this.mode === 'hang') return new Promise(() => undefined);
    return Promise.resolve(this.rows.get(uploadId));
  }

  list(): Promise<{ uploads: UploadState[]; nextPageToken: string }> {
    return Promise.resolve({ uploads: [...this.rows.values()], nextPageToken: '' });
  }
}

async function setup(t: TestContext, watch: WatchTiming) {
  const staging = new MemoryStaging();
  const projection = new Projection();
  const checksums = new ChecksumPool({ threads: 0 });
  await checksums.start();
  t.after(() => checksums.close());
  const app = buildApp({
    logger: pino({ level: 'silent' }),
    registry: new Registry(),
    staging,
    checksums,
    events: { produce: () => Promise.resolve() },
    tenants: parseTenants(tenantsText(), { env: tenantsEnv(), readFile: () => '' }),
    limits: DEFAULT_LIMITS,
    stagingFull: () => false,
    projected: projection,
    watch: { intervalMs: 20, ...watch },
  });
  const client = await serve(t, app);
  const { meta } = await staging.createUpload(newUpload({ tenant: 'acme' }));
  return { staging, projection, client, uploadId: meta.uploadId };
}

/** Follows a watch to its end: the messages, and the status it ended with (0 for OK). */
function follow(client: IntakeServiceClient, uploadId: string, onMessage?: (m: WatchUploadResponse) => void) {
  const messages: WatchUploadResponse[] = [];
  const call = client.watchUpload(WatchUploadRequest.fromPartial({ uploadId }), auth());
  call.on('data', (m: WatchUploadResponse) => {
    messages.push(m);
    onMessage?.(m);
  });
  const ended = new Promise<{ code: number; details: string }>((resolve) => {
    call.on('error', (err: ServiceError) => resolve({ code: err.code, details: err.details }));
    call.on('end', () => resolve({ code: GrpcStatus.OK, details: '' }));
  });
  return { messages, ended, call };
}

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

/**
 * Tenants see only their own uploads. A second tenant calling every RPC on the first tenant's
 * upload gets NOT_FOUND, answered exactly as for an upload id that does not exist, so no answer
 * tells an existing upload from a missing one; and the upload is left as it was.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { status, type Metadata, type ServiceError } from '@grpc/grpc-js';
import { migrate, MysqlProjectionStore, toProjectionEvent, UploadQueries } from '@sluice/projection';
import { ListUploadsRequest } from '@sluice/proto';
import { createDatabase } from '@sluice/testing';
import { createPool } from 'mysql2/promise';
import { projectedUploads } from '../src/projected-uploads.ts';
import { KEYS, startIngest, type Harness } from './harness.ts';

/** What a caller learns from a refusal, with the upload id it asked about taken out. */
interface Answer {
  readonly code: number | undefined;
  readonly sluiceCode: unknown;
  readonly details: string;
}

function answerOf(err: ServiceError | null | undefined, uploadId: string): Answer {
  return {
    code: err?.code,
    sluiceCode: err?.metadata.get('sluice-error-code')[0],
    details: (err?.details ?? '').replaceAll(uploadId, '<id>'),
  };
}

function watch(h: Harness, uploadId: string, md: Metadata): Promise<ServiceError | null> {
  return new Promise((resolve) => {
    const call = h.client.watchUpload({ uploadId }, md);
    call.on('data', () => resolve(null));
    call.on('error', (err: ServiceError) => resolve(err));
    call.on('end', () => resolve(null));
  });
}

function stream(h: Harness, uploadId: string, md: Metadata): Promise<ServiceError | null> {
  return new Promise((resolve) => {
    const call = h.client.uploadChunkStream(md, (err) => resolve(err));
    const data = randomBytes(1000);
    call.write({
      frame: {
        $case: 'header',
        value: { uploadId, chunkNumber: 1, size: BigInt(data.length), sha256: '', force: false, crc32c: '' },
      },
    });
    call.write({ frame: { $case: 'data', value: data } });
    call.end();
  });
}

it("answers every call on another tenant's upload exactly as on an upload that does not exist", async (t) => {
  const db = await createDatabase(t, { prefix: 'iso' });
  const pool = createPool({ uri: db.url, connectionLimit: 2, timezone: 'Z' });
  t.after(() => pool.end());
  await migrate(pool);
  const h = await startIngest(t, {
    projected: projectedUploads(new UploadQueries({ pool, queryTimeoutMs: 5000 })),
  });
  const acme = h.auth(KEYS.acme);
  const globex = h.auth(KEYS.globex);
  const up = await h.rpc.initiate({ drive: 'docs', filename: 'secret-plans.pdf' }, acme);
  const uploadId = up.res?.uploadId ?? '';
  assert.equal((await h.rpc.chunk({ uploadId, chunkNumber: 0, data: randomBytes(1000) }, acme)).err, null);
  // The projection holds it too (as the projector would have written it), so ListUploads and
  // status reads that reach MySQL are covered as well.
  const store = new MysqlProjectionStore({ pool, groupId: 'iso' });
  const events = await h.events();
  await store.apply(
    events.map((event, offset) => ({
      topic: h.backbone.topics['intake.chunks'],
      partition: 0,
      offset: BigInt(offset),
      event: toProjectionEvent('intake.chunks', event, new Date()),
    })),
  );
  assert.equal((await h.rpc.status({ uploadId }, acme)).err, null, 'its own tenant sees it');

  const ghost = randomUUID();
  const calls: Record<string, (id: string) => Promise<ServiceError | null | undefined>> = {
    GetUploadStatus: async (id) => (await h.rpc.status({ uploadId: id }, globex)).err,
    WatchUpload: (id) => watch(h, id, globex),
    UploadChunk: async (id) =>
      (await h.rpc.chunk({ uploadId: id, chunkNumber: 1, data: randomBytes(10) }, globex)).err,
    UploadChunkStream: (id) => stream(h, id, globex),
    CompleteUpload: async (id) => (await h.rpc.complete({ uploadId: id, totalChunks: 1 }, globex)).err,
    AbortUpload: async (id) => (await h.rpc.abort({ uploadId: id, reason: 'mine now' }, globex)).err,
  };
  for (const [rpc, callOn] of Object.entries(calls)) {
    const foreign = answerOf(await callOn(uploadId), uploadId);
    const missing = answerOf(await callOn(ghost), ghost);
    assert.equal(foreign.code, status.NOT_FOUND, `${rpc} on another tenant's upload: ${foreign.details}`);
    assert.deepEqual(foreign, missing, `${rpc} answers another tenant's upload as a missing one`);
  }
  const listed = await new Promise<string[]>((resolve, reject) =>
    h.client.listUploads(ListUploadsRequest.fromPartial({ pageSize: 100 }), globex, (err, res) =>
      err ? reject(err) : resolve((res?.uploads ?? []).map((u) => u.uploadId)),
    ),
  );
  assert.ok(!listed.includes(uploadId), "ListUploads shows no other tenant's upload");

  // Nothing the other tenant did touched it.
  const after = await h.staging.getUpload(uploadId);
  assert.equal(after?.status, 'open');
  assert.deepEqual(
    (await h.staging.listChunks(uploadId)).map((c) => c.chunk),
    [0],
  );
});

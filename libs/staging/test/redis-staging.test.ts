import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { DataLossError } from '@sluice/errors';
import { createRedisPrefix, requireServices } from '@sluice/testing';
import { RedisStaging, type ChunkRecord, type NewUpload } from '../src/index.ts';

async function staging(t: TestContext, segmentSize = 1024): Promise<RedisStaging> {
  await requireServices(['redis']);
  const { redis, prefix } = createRedisPrefix(t);
  return new RedisStaging({ redis, segmentSize, ttlMs: 60_000, namespace: prefix.slice(0, -1) });
}

function newUpload(overrides: Partial<NewUpload> = {}): NewUpload {
  return {
    uploadId: randomUUID(),
    tenant: 'acme',
    drive: 'docs',
    nodeId: randomUUID(),
    filename: 'a.pdf',
    mimeType: 'application/pdf',
    metadata: { case: '42' },
    sizeHint: 0,
    fixedChunkSize: 0,
    clientRequestId: '',
    destination: {
      endpoint: 'http://127.0.0.1:17070',
      region: 'us-east-1',
      bucket: 'b',
      key: 'acme/docs/x',
      checksumMode: 'crc64nvme',
      partSizePolicy: { kind: 'fixed', partSize: 16 * 1024 * 1024 },
    },
    ...overrides,
  };
}

function record(chunk: number, size: number, writeId: string, segmentSize = 1024): ChunkRecord {
  return {
    chunk,
    size,
    sha256: 'ab'.repeat(32),
    crc64nvme: '18446744073709551615',
    crc32c: 0,
    crc32: 0,
    writeId,
    generation: 0,
    segmentSize,
    segmentCount: Math.ceil(size / segmentSize),
    emitted: false,
  };
}

describe('RedisStaging', () => {
  it('creates an upload once per client request id', async (t) => {
    const s = await staging(t);
    const crid = randomUUID();
    const first = await s.createUpload(newUpload({ clientRequestId: crid }));
    const again = await s.createUpload(newUpload({ clientRequestId: crid }));
    assert.equal(first.created, true);
    assert.equal(again.created, false);
    assert.equal(again.meta.uploadId, first.meta.uploadId);
    assert.deepEqual(again.meta.metadata, { case: '42' });
    assert.equal(again.meta.destination.partSizePolicy.partSize, 16 * 1024 * 1024);
  });

  it('stages bytes as segments and reads any range back across them', async (t) => {
    const s = await staging(t);
    const { meta } = await s.createUpload(newUpload());
    const data = randomBytes(5000);
    const prefix = s.keys.segmentPrefix(meta.uploadId, 0, 'w1');
    assert.equal(await s.writeSegments(prefix, data), 5);
    assert.deepEqual(await s.commitChunk(meta.uploadId, record(0, 5000, 'w1'), ''), { result: 'ok' });
    const rec = await s.getChunk(meta.uploadId, 0);
    assert.ok(rec);
    for (const [offset, length] of [
      [0, 5000],
      [1, 1023],
      [1000, 2100],
      [4096, 904],
      [4999, 1],
    ] as const) {
      const pieces = await s.readRange(s.segmentsOf(meta.uploadId, rec), offset, length);
      assert.deepEqual(Buffer.concat(pieces), data.subarray(offset, offset + length), `${offset}+${length}`);
    }
    assert.equal((await s.getUpload(meta.uploadId))?.stagedBytes, 5000);
    assert.ok(((await s.getUpload(meta.uploadId))?.firstChunkAt ?? 0) > 0);
  });

  it('refuses a commit that lost a race, reporting the winner', async (t) => {
    const s = await staging(t);
    const { meta } = await s.createUpload(newUpload());
    assert.equal((await s.commitChunk(meta.uploadId, record(3, 10, 'a'), '')).result, 'ok');
    const raced = await s.commitChunk(meta.uploadId, record(3, 10, 'b'), '');
    assert.equal(raced.result, 'raced');
    assert.equal(raced.result === 'raced' && raced.current?.writeId, 'a');
    // A forced replacement names the write it replaces, and the counter follows the new size.
    assert.equal(
      (await s.commitChunk(meta.uploadId, { ...record(3, 4, 'b'), generation: 1 }, 'a')).result,
      'ok',
    );
    assert.equal((await s.getUpload(meta.uploadId))?.stagedBytes, 4);
  });

  it('seals once, refuses chunks after it, and reports chunks beyond the count', async (t) => {
    const s = await staging(t);
    const { meta } = await s.createUpload(newUpload());
    await s.commitChunk(meta.uploadId, record(0, 1, 'a'), '');
    await s.commitChunk(meta.uploadId, record(5, 1, 'a'), '');
    assert.deepEqual(await s.seal(meta.uploadId, 3, ''), { result: 'beyond', chunk: 5 });
    assert.deepEqual(await s.seal(meta.uploadId, 6, 'ff'), { result: 'incomplete', staged: 2 });
    for (const n of [1, 2, 3, 4]) await s.commitChunk(meta.uploadId, record(n, 1, 'a'), '');
    assert.deepEqual(await s.seal(meta.uploadId, 6, 'ff'), { result: 'ok' });
    assert.deepEqual(await s.seal(meta.uploadId, 6, 'ff'), { result: 'same' });
    assert.equal((await s.seal(meta.uploadId, 7, 'ff')).result, 'status');
    assert.deepEqual(await s.commitChunk(meta.uploadId, record(1, 1, 'a'), ''), {
      result: 'status',
      status: 'sealed',
    });
    assert.equal((await s.getUpload(meta.uploadId))?.totalChunks, 6);
  });

  it('aborts idempotently and deletes every key of an upload', async (t) => {
    const s = await staging(t);
    const { meta } = await s.createUpload(newUpload({ clientRequestId: randomUUID() }));
    await s.writeSegments(s.keys.segmentPrefix(meta.uploadId, 0, 'w'), randomBytes(3000));
    await s.commitChunk(meta.uploadId, record(0, 3000, 'w'), '');
    assert.equal(await s.abort(meta.uploadId, 'user asked'), 'ok');
    assert.equal(await s.abort(meta.uploadId, 'user asked'), 'same');
    assert.equal((await s.getUpload(meta.uploadId))?.status, 'aborted');
    await s.deleteUpload(meta.uploadId);
    assert.equal(await s.getUpload(meta.uploadId), undefined);
    assert.deepEqual(await s.redis.keys(s.keys.uploadPattern(meta.uploadId)), []);
  });

  it('says which chunk is lost when its segments are gone', async (t) => {
    const s = await staging(t);
    const { meta } = await s.createUpload(newUpload());
    await s.writeSegments(s.keys.segmentPrefix(meta.uploadId, 2, 'w'), randomBytes(2048));
    const rec = record(2, 2048, 'w');
    await s.commitChunk(meta.uploadId, rec, '');
    await s.deleteSegments(s.segmentsOf(meta.uploadId, rec));
    await assert.rejects(s.readRange(s.segmentsOf(meta.uploadId, rec), 0, 2048), (e: unknown) => {
      return e instanceof DataLossError && e.code === 'STAGING_LOST' && /:c:2:w:0 are gone/.test(e.message);
    });
  });
});

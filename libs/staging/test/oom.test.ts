import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { ResourceExhaustedError } from '@sluice/errors';
import { startRedisServer } from '@sluice/testing';
import { Redis } from 'ioredis';
import { RedisStaging, stagingCall } from '../src/index.ts';
import { newUpload } from './fixtures.ts';

it('maps an OOM reply to STAGING_FULL with a pushback', async () => {
  const oom = new Error("OOM command not allowed when used memory > 'maxmemory'.");
  await assert.rejects(
    stagingCall(() => Promise.reject(oom), 'segment write'),
    (err: unknown) => {
      assert.ok(err instanceof ResourceExhaustedError);
      assert.equal(err.code, 'STAGING_FULL');
      assert.ok(err.retryAfterMs > 0, 'a pushback comes with it');
      assert.match(err.message, /out of memory on segment write/);
      return true;
    },
  );
});

it('refuses a chunk with STAGING_FULL when Redis is full, and leaves what was staged before intact', async (t) => {
  // A Redis of its own, 4 MiB at most and no eviction, as production is configured.
  const port = await startRedisServer(t, ['--maxmemory', '4mb', '--maxmemory-policy', 'noeviction']);
  const redis = new Redis({
    port,
    host: '127.0.0.1',
    maxRetriesPerRequest: 1,
    retryStrategy: (n) => (n > 50 ? null : 100),
  });
  redis.on('error', () => undefined); // until the server listens
  t.after(() => redis.disconnect());
  await redis.ping();
  const staging = new RedisStaging({ redis, segmentSize: 64 * 1024 });
  const { meta } = await staging.createUpload(newUpload());

  const staged: Buffer[] = [];
  let refusal: unknown;
  for (let chunk = 0; chunk < 200 && refusal === undefined; chunk++) {
    const data = randomBytes(256 * 1024);
    const write = staging.openChunkWrite(meta.uploadId, chunk);
    try {
      await write.write(data);
      const { committed } = await write.commit(
        { size: data.length, sha256: 'ab'.repeat(32), crc64nvme: '0', crc32c: 0, crc32: 0, generation: 0 },
        '',
      );
      assert.equal(committed.result, 'ok');
      staged.push(data);
    } catch (err) {
      refusal = err;
      await write.abort().catch(() => undefined);
    }
  }
  assert.ok(refusal instanceof ResourceExhaustedError, `refused with ${String(refusal)}`);
  assert.equal(refusal.code, 'STAGING_FULL');
  assert.ok(staged.length > 0, 'some chunks fitted before Redis was full');
  for (const [chunk, data] of staged.entries()) {
    const record = await staging.getChunk(meta.uploadId, chunk);
    assert.ok(record, `chunk ${chunk} is still recorded`);
    const pieces = await staging.readRange(staging.segmentsOf(meta.uploadId, record), 0, data.length);
    assert.ok(Buffer.concat(pieces).equals(data), `chunk ${chunk} reads back whole`);
  }
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { createRedisPrefix, requireServices } from '@sluice/testing';
import { CONSUMER_STATE, RedisStaging, type ConsumerState } from '../src/index.ts';
import { newUpload, stageChunk, stagingStoreSuite } from './staging-store.suite.ts';

async function staging(t: TestContext, segmentSize = 1024): Promise<RedisStaging> {
  await requireServices(['redis']);
  const { redis, prefix } = createRedisPrefix(t);
  return new RedisStaging({ redis, segmentSize, ttlMs: 60_000, namespace: prefix.slice(0, -1) });
}

stagingStoreSuite('RedisStaging', staging);

describe('RedisStaging', () => {
  it('deletes every key of an upload by name, the consumers’ hashes with it', async (t) => {
    const s = await staging(t);
    const { meta } = await s.createUpload(newUpload());
    await stageChunk(s, meta.uploadId, 0, randomBytes(3000));
    for (const consumer of Object.keys(CONSUMER_STATE) as ConsumerState[])
      await s.redis.hset(s.keys.consumerState(meta.uploadId, consumer), 'x', '1');
    assert.equal((await s.redis.keys(s.keys.uploadPattern(meta.uploadId))).length, 2 + 3 + 2);
    await s.deleteUpload(meta.uploadId);
    assert.deepEqual(await s.redis.keys(s.keys.uploadPattern(meta.uploadId)), []);
  });

  it('stages segments with the staging TTL, on the bulk connection', async (t) => {
    const s = await staging(t);
    const { meta } = await s.createUpload(newUpload());
    const rec = await stageChunk(s, meta.uploadId, 1, randomBytes(1500));
    const ttl = await s.bulkRedis.pttl(s.keys.segment(s.segmentsOf(meta.uploadId, rec).prefix, 1));
    assert.ok(ttl > 0 && ttl <= 60_000, `segment TTL ${ttl}`);
  });
});

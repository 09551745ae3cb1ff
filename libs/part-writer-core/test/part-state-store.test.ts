import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { RedisStaging } from '@sluice/staging';
import { createRedisPrefix, requireServices } from '@sluice/testing';
import { PartStateStore } from '../src/index.ts';
import { init, partStateSuite } from './part-state.suite.ts';

async function setup(t: TestContext): Promise<{ store: PartStateStore; staging: RedisStaging }> {
  await requireServices(['redis']);
  const { redis, prefix } = createRedisPrefix(t);
  const namespace = prefix.slice(0, -1);
  const staging = new RedisStaging({ redis, namespace, ttlMs: 60_000 });
  return {
    staging,
    store: new PartStateStore({ redis, stagingKeys: staging.keys, ttlMs: 60_000 }),
  };
}

partStateSuite('PartStateStore', setup);

describe('PartStateStore', () => {
  it('keeps the state in one hash beside the staging keys, expiring when left alone', async (t) => {
    const { store, staging } = await setup(t);
    const id = randomUUID();
    await store.saveInit(id, init);
    assert.equal(store.key(id), staging.keys.consumerState(id, 'partWriter'));
    assert.ok((await store.redis.pttl(store.key(id))) > 0, 'the state expires when left alone');
    await store.delete(id);
    assert.equal(await store.redis.exists(store.key(id)), 0);
  });
});

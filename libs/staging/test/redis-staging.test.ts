import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { createRedisPrefix, requireServices } from '@sluice/testing';
import { CONSUMER_STATE, RedisStaging, type BudgetKeys, type ConsumerState } from '../src/index.ts';
import { newUpload, record, stageChunk, stagingStoreSuite } from './staging-store.suite.ts';

/** A budget's four keys. */
const keyList = (k: BudgetKeys): string[] => [k.staged, k.reserved, k.lapse, k.totals];

async function staging(t: TestContext, segmentSize = 1024, ttlMs = 60_000): Promise<RedisStaging> {
  await requireServices(['redis']);
  const { redis, prefix } = createRedisPrefix(t);
  return new RedisStaging({ redis, segmentSize, ttlMs, namespace: prefix.slice(0, -1) });
}

/** Commits chunk 0 of `bytes` bytes as ingest does with both budgets on; the commit's figure. */
async function commitCounted(s: RedisStaging, uploadId: string, tenant: string, bytes: number) {
  const budgets = { tenant: true, global: true };
  await s.reserve(uploadId, 'w', { chunk: 0, bytes, cap: bytes, budgets, leaseMs: 60_000 });
  const committed = await s.commitChunk(uploadId, record(0, bytes, 'w'), '');
  assert.equal(committed.result, 'ok');
  if (committed.result !== 'ok') return;
  await s.settleBudget({ kind: 'tenant', tenant }, uploadId, committed.staged, 'w');
  await s.settleBudget({ kind: 'global' }, uploadId, committed.staged, 'w');
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

  it('keeps each budget in one slot: its four keys share the tenant’s hash tag, or {budget}', async (t) => {
    const s = await staging(t);
    const tenant = `t-${randomUUID()}`;
    const { meta } = await s.createUpload(newUpload({ tenant }));
    await commitCounted(s, meta.uploadId, tenant, 10);
    for (const budget of [{ kind: 'tenant', tenant } as const, { kind: 'global' } as const])
      await s.reserveBudget(budget, 'x', { bytes: 1, limit: 100, leaseMs: 60_000 });
    for (const [budget, tag] of [
      [{ kind: 'tenant', tenant } as const, `{${tenant}}`],
      [{ kind: 'global' } as const, '{budget}'],
    ] as const) {
      for (const key of keyList(s.keys.budget(budget))) {
        assert.ok(key.startsWith(s.keys.namespace) && key.includes(tag), key);
        assert.equal(key.indexOf('{'), key.indexOf(tag), `${key}: the first hash tag is the budget's`);
        const ttl = await s.redis.pttl(key);
        assert.ok(ttl > 0, `${key} expires once idle (${ttl})`);
      }
    }
  });

  it('touches no budget key for an upload no budget counts', async (t) => {
    const s = await staging(t);
    const tenant = `t-${randomUUID()}`;
    const { meta } = await s.createUpload(newUpload({ tenant }));
    await stageChunk(s, meta.uploadId, 0, randomBytes(100));
    await s.releaseChunk(meta.uploadId, 0, 100);
    await s.deleteUpload(meta.uploadId);
    for (const budget of [{ kind: 'tenant', tenant } as const, { kind: 'global' } as const])
      for (const key of keyList(s.keys.budget(budget))) assert.equal(await s.redis.exists(key), 0, key);
  });

  it('lets an upload’s figure lapse with the staging TTL after its last update (its keys expired)', async (t) => {
    const s = await staging(t, 1024, 200);
    const tenant = `t-${randomUUID()}`;
    const { meta } = await s.createUpload(newUpload({ tenant }));
    await commitCounted(s, meta.uploadId, tenant, 10);
    assert.equal((await s.budgetUsage({ kind: 'tenant', tenant })).stagedBytes, 10);
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(await s.getUpload(meta.uploadId), undefined, 'the upload expired without deleteUpload');
    assert.deepEqual(await s.budgetUsage({ kind: 'tenant', tenant }), { stagedBytes: 0, reservedBytes: 0 });
    assert.deepEqual(await s.budgetUsage({ kind: 'global' }), { stagedBytes: 0, reservedBytes: 0 });
    assert.equal(await s.redis.hlen(s.keys.budget({ kind: 'tenant', tenant }).staged), 0, 'pruned');
  });
});

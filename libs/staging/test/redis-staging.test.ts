import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { createRedisPrefix, requireServices, scanKeys } from '@sluice/testing';
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
  it('finds uploads through the live-upload index, in 16 shards of their own slots, never by SCAN', async (t) => {
    const s = await staging(t);
    const ids = new Set<string>();
    for (let i = 0; i < 40; i++) ids.add((await s.createUpload(newUpload())).meta.uploadId);
    // A meta key the index does not name (as a SCAN would find) is not listed.
    const stray = randomUUID();
    await s.redis.hset(s.keys.meta(stray), 'uploadId', stray);
    const listed = new Set<string>();
    for await (const page of s.uploadIds()) for (const id of page) listed.add(id);
    assert.deepEqual(listed, ids);
    const tags = s.keys.liveUploadShards().map((key) => /\{([^}]*)\}/.exec(key)?.[1]);
    assert.equal(new Set(tags).size, 16, 'each shard has a hash tag of its own');
    for (const id of ids) assert.equal((await s.redis.zscore(s.keys.liveUploads(id), id)) !== null, true);
  });

  it('prunes index entries of uploads that are gone once a minute old, and deleteUpload removes its own', async (t) => {
    const s = await staging(t);
    const kept = (await s.createUpload(newUpload())).meta.uploadId;
    const expired = (await s.createUpload(newUpload())).meta.uploadId;
    const deleted = (await s.createUpload(newUpload())).meta.uploadId;
    await s.deleteUpload(deleted);
    assert.equal(
      await s.redis.zscore(s.keys.liveUploads(deleted), deleted),
      null,
      'deleteUpload leaves the index',
    );
    await s.redis.del(s.keys.meta(expired)); // as when Redis expires an idle upload's keys
    const list = async (now: number): Promise<string[]> => {
      const out: string[] = [];
      for await (const page of s.uploadIds(now)) out.push(...page);
      return out;
    };
    assert.deepEqual(await list(Date.now()), [kept], 'an upload that is gone is not listed');
    assert.notEqual(await s.redis.zscore(s.keys.liveUploads(expired), expired), null, 'a young entry stays');
    assert.deepEqual(await list(Date.now() + 61_000), [kept]);
    assert.equal(await s.redis.zscore(s.keys.liveUploads(expired), expired), null, 'an old one is pruned');
    assert.notEqual(await s.redis.zscore(s.keys.liveUploads(kept), kept), null);
  });

  it('deletes every key of an upload by name, the consumers’ hashes with it', async (t) => {
    const s = await staging(t);
    const { meta } = await s.createUpload(newUpload());
    await stageChunk(s, meta.uploadId, 0, randomBytes(3000));
    for (const consumer of Object.keys(CONSUMER_STATE) as ConsumerState[])
      await s.redis.hset(s.keys.consumerState(meta.uploadId, consumer), 'x', '1');
    assert.equal((await scanKeys(s.redis, s.keys.uploadPattern(meta.uploadId))).length, 2 + 3 + 2);
    await s.deleteUpload(meta.uploadId);
    assert.deepEqual(await scanKeys(s.redis, s.keys.uploadPattern(meta.uploadId)), []);
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

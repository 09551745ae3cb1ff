import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import type { Budget, BudgetKeys } from '@sluice/staging';
import { KEYS, startIngest, type Harness } from './harness.ts';

/** A budget's four keys. */
const keyList = (k: BudgetKeys): string[] => [k.staged, k.reserved, k.lapse, k.totals];

const KiB = 1024;
const CHUNK = 4 * KiB;
const BUDGET = 64 * KiB;

type Outcome = Awaited<ReturnType<Harness['rpc']['chunk']>>;

/** Sends chunks `from`..`from + count - 1` of every upload at once; the outcomes, in that order. */
async function burst(
  h: Harness,
  uploads: readonly { id: string; key: string }[],
  from: number,
  count: number,
) {
  const calls = uploads.flatMap((u) =>
    Array.from({ length: count }, (_, i) =>
      h.rpc.chunk({ uploadId: u.id, chunkNumber: from + i, data: randomBytes(CHUNK) }, h.auth(u.key)),
    ),
  );
  return Promise.all(calls);
}

async function initiate(h: Harness, key: string = KEYS.acme): Promise<{ id: string; key: string }> {
  const drive = key === KEYS.acme ? 'docs' : 'vault';
  const up = await h.rpc.initiate({ drive }, h.auth(key));
  assert.equal(up.err, null, up.err?.details);
  return { id: up.res?.uploadId ?? '', key };
}

async function stagedOf(h: Harness, uploads: readonly { id: string }[]): Promise<number> {
  let sum = 0;
  for (const u of uploads) sum += (await h.staging.getUpload(u.id))?.stagedBytes ?? 0;
  return sum;
}

/** What the part-writer does once a part holding them is stored: each staged chunk counted out. */
async function releaseAll(h: Harness, uploadId: string): Promise<number> {
  let released = 0;
  for (const c of await h.staging.listChunks(uploadId))
    released += await h.staging.releaseChunk(uploadId, c.chunk, c.size);
  return released;
}

function refusals(outcomes: readonly Outcome[]) {
  return outcomes.flatMap((o) => (o.err ? [o.err] : []));
}

describe('staged-byte budgets', { timeout: 120_000 }, () => {
  it("holds a tenant's uploads to its maxStagedBytes under a burst, and admits chunks again once some are stored", async (t) => {
    const h = await startIngest(t, {
      acmeLimits: { maxStagedBytes: BUDGET },
      limits: { retryPushbackMs: 250 },
    });
    const budget: Budget = { kind: 'tenant', tenant: 'acme' };
    const uploads = [await initiate(h), await initiate(h)];

    const first = await burst(h, uploads, 0, 100);
    const acked = first.filter((o) => o.err === null).length;
    assert.equal(acked, BUDGET / CHUNK, 'exactly as many chunks as the budget holds, across both uploads');
    assert.equal(await stagedOf(h, uploads), BUDGET, 'never more than the budget staged');
    assert.deepEqual(await h.staging.budgetUsage(budget), { stagedBytes: BUDGET, reservedBytes: 0 });
    for (const err of refusals(first)) {
      assert.equal(err.code, status.RESOURCE_EXHAUSTED);
      assert.equal(err.metadata.get('sluice-error-code')[0], 'TENANT_STAGING_BUDGET');
      assert.equal(err.metadata.get('grpc-retry-pushback-ms')[0], '250');
    }
    assert.match(
      refusals(first)[0]?.details ?? '',
      /your tenant's budget of 65536 staged bytes \(maxStagedBytes/,
    );
    const other = await initiate(h, KEYS.globex);
    assert.equal(
      (
        await h.rpc.chunk(
          { uploadId: other.id, chunkNumber: 0, data: randomBytes(CHUNK) },
          h.auth(KEYS.globex),
        )
      ).err,
      null,
      'another tenant is not held by acme’s budget',
    );

    const [a, b] = uploads as [{ id: string; key: string }, { id: string; key: string }];
    const freed = await releaseAll(h, a.id);
    assert.ok(freed > 0, 'upload a had chunks staged');
    assert.deepEqual(await h.staging.budgetUsage(budget), { stagedBytes: BUDGET - freed, reservedBytes: 0 });
    const second = await burst(h, uploads, 100, 50);
    assert.equal(
      second.filter((o) => o.err === null).length,
      freed / CHUNK,
      'the room the release freed, exactly',
    );
    assert.deepEqual(
      [...new Set(refusals(second).map((e) => e.metadata.get('sluice-error-code')[0]))],
      ['TENANT_STAGING_BUDGET'],
    );
    assert.equal(await stagedOf(h, [a, b]), BUDGET, 'full again, and no more');
  });

  it('holds every upload together to SLUICE_INGEST_STAGED_BYTES_MAX, and gives back the tenant’s room on refusal', async (t) => {
    const h = await startIngest(t, {
      acmeLimits: { maxStagedBytes: 16 * BUDGET },
      limits: { maxStagedBytesGlobal: BUDGET, retryPushbackMs: 250 },
    });
    const uploads = [await initiate(h), await initiate(h), await initiate(h, KEYS.globex)];

    const first = await burst(h, uploads, 0, 60);
    assert.equal(
      first.filter((o) => o.err === null).length,
      BUDGET / CHUNK,
      'exactly what the global budget holds',
    );
    assert.equal(await stagedOf(h, uploads), BUDGET, 'never more than the budget staged');
    assert.deepEqual(await h.staging.budgetUsage({ kind: 'global' }), {
      stagedBytes: BUDGET,
      reservedBytes: 0,
    });
    for (const err of refusals(first)) {
      assert.equal(err.code, status.RESOURCE_EXHAUSTED);
      assert.equal(err.metadata.get('sluice-error-code')[0], 'STAGING_BUDGET');
      assert.equal(err.metadata.get('grpc-retry-pushback-ms')[0], '250');
    }
    assert.match(refusals(first)[0]?.details ?? '', /SLUICE_INGEST_STAGED_BYTES_MAX, 65536 bytes/);
    const acme = await stagedOf(h, uploads.slice(0, 2));
    assert.deepEqual(
      await h.staging.budgetUsage({ kind: 'tenant', tenant: 'acme' }),
      { stagedBytes: acme, reservedBytes: 0 },
      'what the global budget refused holds nothing of the tenant’s budget',
    );

    let freed = 0;
    for (const u of uploads) freed += await releaseAll(h, u.id);
    assert.equal(freed, BUDGET);
    assert.deepEqual(await h.staging.budgetUsage({ kind: 'global' }), { stagedBytes: 0, reservedBytes: 0 });
    const second = await burst(h, uploads, 60, 20);
    assert.equal(
      second.filter((o) => o.err === null).length,
      BUDGET / CHUNK,
      'the whole budget again, exactly',
    );
  });

  it('touches no budget when none is configured', async (t) => {
    const h = await startIngest(t);
    const up = await initiate(h);
    assert.equal((await burst(h, [up], 0, 5)).filter((o) => o.err).length, 0);
    await releaseAll(h, up.id);
    const meta = await h.staging.redis.hgetall(h.staging.keys.meta(up.id));
    assert.equal(meta['budget.tenant'], undefined);
    assert.equal(meta['budget.global'], undefined);
    for (const budget of [{ kind: 'tenant', tenant: 'acme' } as const, { kind: 'global' } as const])
      for (const key of keyList(h.staging.keys.budget(budget)))
        assert.equal(await h.staging.redis.exists(key), 0, key);
  });
});

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import type { Budget, BudgetMarks, StagedFigure, StagingStore } from '../src/index.ts';
import { newUpload } from './fixtures.ts';
import { record, type StagingStoreFactory } from './staging-store.suite.ts';

const LEASE = { leaseMs: 60_000 };
const BOTH: BudgetMarks = { tenant: true, global: true };

/**
 * Commits chunk `chunk` of `bytes` bytes the way ingest does with budgets on: a reservation on
 * the upload that marks it counted by `marks`, the commit, then the figure set in each budget.
 */
async function commitCounted(
  s: StagingStore,
  uploadId: string,
  tenant: string,
  chunk: number,
  bytes: number,
  marks: BudgetMarks = BOTH,
): Promise<StagedFigure> {
  const writeId = randomUUID();
  const reserved = await s.reserve(uploadId, writeId, { chunk, bytes, cap: 1e12, budgets: marks, ...LEASE });
  assert.deepEqual(reserved, { result: 'ok' });
  const committed = await s.commitChunk(uploadId, record(chunk, bytes, writeId), '');
  assert.equal(committed.result, 'ok');
  const { staged } = committed as { staged: StagedFigure };
  if (marks.tenant) await s.settleBudget({ kind: 'tenant', tenant }, uploadId, staged, writeId);
  if (marks.global) await s.settleBudget({ kind: 'global' }, uploadId, staged, writeId);
  return staged;
}

async function uploadOf(s: StagingStore, tenant: string): Promise<string> {
  return (await s.createUpload(newUpload({ tenant }))).meta.uploadId;
}

/** The staged-byte budgets' cases of the shared suite, run against every adapter. */
export function budgetCases(make: StagingStoreFactory): void {
  describe('staged-byte budgets', () => {
    for (const kind of ['tenant', 'global'] as const) {
      it(`holds the ${kind} budget exactly when 500 writes of several uploads reserve at once`, async (t) => {
        const s = await make(t, 1024);
        const tenant = `t-${randomUUID()}`;
        const budget: Budget = kind === 'tenant' ? { kind, tenant } : { kind };
        const uploads = await Promise.all([1, 2, 3].map(() => uploadOf(s, tenant)));
        // 300 bytes staged by three uploads leave 700 of the 1000 for the burst.
        for (const id of uploads) await commitCounted(s, id, tenant, 0, 100);
        assert.deepEqual(await s.budgetUsage(budget), { stagedBytes: 300, reservedBytes: 0 });
        const results = await Promise.all(
          Array.from({ length: 500 }, () =>
            s.reserveBudget(budget, randomUUID(), { bytes: 7, limit: 1000, ...LEASE }),
          ),
        );
        assert.equal(results.filter((r) => r.result === 'ok').length, 100, 'floor(700 / 7) writes, no more');
        assert.deepEqual(
          results.find((r) => r.result !== 'ok'),
          { result: 'full', stagedBytes: 300, reservedBytes: 700 },
        );
        assert.deepEqual(await s.budgetUsage(budget), { stagedBytes: 300, reservedBytes: 700 });
        if (kind === 'tenant') {
          const other: Budget = { kind, tenant: `other-${tenant}` };
          assert.deepEqual(await s.reserveBudget(other, 'w', { bytes: 1000, limit: 1000, ...LEASE }), {
            result: 'ok',
          });
        }
      });
    }

    it('sets a write’s reservation rather than adding to it, and renews only a live one', async (t) => {
      const s = await make(t, 1024);
      const budget: Budget = { kind: 'tenant', tenant: `t-${randomUUID()}` };
      const limit = { limit: 100, ...LEASE };
      assert.deepEqual(await s.reserveBudget(budget, 'a', { bytes: 60, ...limit }), { result: 'ok' });
      assert.deepEqual(await s.reserveBudget(budget, 'a', { bytes: 100, ...limit }), { result: 'ok' });
      assert.deepEqual(await s.reserveBudget(budget, 'b', { bytes: 1, ...limit }), {
        result: 'full',
        stagedBytes: 0,
        reservedBytes: 100,
      });
      assert.deepEqual(
        await s.reserveBudget(budget, 'a', { bytes: 100, ...LEASE }),
        { result: 'ok' },
        'renewed',
      );
      assert.deepEqual(await s.reserveBudget(budget, 'b', { bytes: 1, ...LEASE }), { result: 'lapsed' });
      await s.releaseBudget(budget, 'a');
      await s.releaseBudget(budget, 'a');
      assert.deepEqual(await s.budgetUsage(budget), { stagedBytes: 0, reservedBytes: 0 });
      assert.deepEqual(await s.reserveBudget(budget, 'a', { bytes: 1, ...LEASE }), { result: 'lapsed' });
    });

    it('gives back the earlier reservations when a later budget refuses', async (t) => {
      const s = await make(t, 1024);
      const tenant = `t-${randomUUID()}`;
      const id = await uploadOf(s, tenant);
      const tenantBudget: Budget = { kind: 'tenant', tenant };
      const globalBudget: Budget = { kind: 'global' };
      await s.reserveBudget(globalBudget, 'someone-else', { bytes: 90, limit: 100, ...LEASE });
      // The order of one chunk: its upload, its tenant's budget, the global budget.
      const write = 'w';
      assert.equal(
        (await s.reserve(id, write, { chunk: 0, bytes: 20, cap: 100, budgets: BOTH, ...LEASE })).result,
        'ok',
      );
      assert.equal(
        (await s.reserveBudget(tenantBudget, write, { bytes: 20, limit: 100, ...LEASE })).result,
        'ok',
      );
      assert.equal(
        (await s.reserveBudget(globalBudget, write, { bytes: 20, limit: 100, ...LEASE })).result,
        'full',
      );
      await s.releaseBudget(tenantBudget, write);
      await s.releaseReservation(id, write);
      assert.deepEqual(await s.budgetUsage(tenantBudget), { stagedBytes: 0, reservedBytes: 0 });
      assert.deepEqual(
        await s.reserve(id, 'next', { chunk: 1, bytes: 100, cap: 100, ...LEASE }),
        { result: 'ok' },
        'the upload’s cap is whole again',
      );
      assert.deepEqual(await s.reserveBudget(tenantBudget, 'next', { bytes: 100, limit: 100, ...LEASE }), {
        result: 'ok',
      });
    });

    it('lets a dead writer’s reservation lapse at the end of its lease', async (t) => {
      const s = await make(t, 1024);
      const budget: Budget = { kind: 'global' };
      assert.deepEqual(await s.reserveBudget(budget, 'dead', { bytes: 50, limit: 50, leaseMs: 30 }), {
        result: 'ok',
      });
      assert.equal(
        (await s.reserveBudget(budget, 'live', { bytes: 50, limit: 50, ...LEASE })).result,
        'full',
      );
      await new Promise((r) => setTimeout(r, 80));
      assert.deepEqual(await s.reserveBudget(budget, 'dead', { bytes: 50, ...LEASE }), { result: 'lapsed' });
      assert.deepEqual(await s.reserveBudget(budget, 'live', { bytes: 50, limit: 50, ...LEASE }), {
        result: 'ok',
      });
      assert.deepEqual(await s.budgetUsage(budget), { stagedBytes: 0, reservedBytes: 50 });
    });

    it('sets an upload’s figure, so a repeated, replayed or overtaken update changes nothing', async (t) => {
      const s = await make(t, 1024);
      const tenant = `t-${randomUUID()}`;
      const budget: Budget = { kind: 'tenant', tenant };
      const id = await uploadOf(s, tenant);
      const first = await commitCounted(s, id, tenant, 0, 40);
      const second = await commitCounted(s, id, tenant, 1, 30);
      assert.deepEqual(second, { bytes: 70, seq: first.seq + 1 });
      assert.deepEqual(await s.budgetUsage(budget), { stagedBytes: 70, reservedBytes: 0 });
      await s.settleBudget(budget, id, second, '');
      await s.settleBudget(budget, id, second, '');
      assert.deepEqual(await s.budgetUsage(budget), { stagedBytes: 70, reservedBytes: 0 }, 'set, not added');
      await s.settleBudget(budget, id, first, '');
      assert.deepEqual(
        await s.budgetUsage(budget),
        { stagedBytes: 70, reservedBytes: 0 },
        'an older figure is ignored',
      );
      const other = await uploadOf(s, tenant);
      await commitCounted(s, other, tenant, 0, 5);
      assert.deepEqual(await s.budgetUsage(budget), { stagedBytes: 75, reservedBytes: 0 });
    });

    it('lowers the total when the part-writer releases, and drops a deleted upload for good', async (t) => {
      const s = await make(t, 1024);
      const tenant = `t-${randomUUID()}`;
      const tenantBudget: Budget = { kind: 'tenant', tenant };
      const globalBudget: Budget = { kind: 'global' };
      const id = await uploadOf(s, tenant);
      await commitCounted(s, id, tenant, 0, 40);
      const before = await commitCounted(s, id, tenant, 1, 30);
      assert.equal(await s.releaseChunk(id, 0, 40), 40);
      for (const budget of [tenantBudget, globalBudget])
        assert.deepEqual(await s.budgetUsage(budget), { stagedBytes: 30, reservedBytes: 0 });
      assert.equal(await s.releaseChunk(id, 0, 40), 0, 'a repeated release takes nothing off');
      assert.deepEqual(await s.budgetUsage(tenantBudget), { stagedBytes: 30, reservedBytes: 0 });
      await s.settleBudget(tenantBudget, id, before, '');
      assert.deepEqual(
        await s.budgetUsage(tenantBudget),
        { stagedBytes: 30, reservedBytes: 0 },
        'the commit’s figure, overtaken by the release, is ignored',
      );
      await s.deleteUpload(id);
      for (const budget of [tenantBudget, globalBudget])
        assert.deepEqual(await s.budgetUsage(budget), { stagedBytes: 0, reservedBytes: 0 });
      await s.settleBudget(tenantBudget, id, { bytes: 30, seq: before.seq + 10 }, '');
      assert.deepEqual(
        await s.budgetUsage(tenantBudget),
        { stagedBytes: 0, reservedBytes: 0 },
        'a late update does not bring a deleted upload back',
      );
    });

    it('keeps out of the budgets an upload no budget counts', async (t) => {
      const s = await make(t, 1024);
      const tenant = `t-${randomUUID()}`;
      const tenantBudget: Budget = { kind: 'tenant', tenant };
      const counted = await uploadOf(s, tenant);
      await commitCounted(s, counted, tenant, 0, 10, { tenant: true, global: false });
      const uncounted = await uploadOf(s, tenant);
      await commitCounted(s, uncounted, tenant, 0, 20, { tenant: false, global: false });
      await s.releaseChunk(uncounted, 0, 20);
      await s.deleteUpload(uncounted);
      assert.deepEqual(await s.budgetUsage(tenantBudget), { stagedBytes: 10, reservedBytes: 0 });
      assert.deepEqual(await s.budgetUsage({ kind: 'global' }), { stagedBytes: 0, reservedBytes: 0 });
      await s.releaseChunk(counted, 0, 10);
      assert.deepEqual(await s.budgetUsage(tenantBudget), { stagedBytes: 0, reservedBytes: 0 });
    });
  });
}

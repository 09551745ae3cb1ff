/**
 * Staged-byte budgets in Redis (`keys.ts` has the layout and the rules): four keys per budget
 * under the budget's own hash tag, changed only by the scripts of `budget-scripts.ts`, one
 * budget per script. `RedisStaging` takes its budget methods from here.
 */
import type { RedisClient } from '@sluice/redis';
import { BUDGET_RELEASE, BUDGET_RESERVE, BUDGET_SET, BUDGET_USAGE } from './budget-scripts.ts';
import { BUDGET_TOMBSTONE_MS, type Budget, type StagingKeys } from './keys.ts';
import { stagingScript } from './redis-call.ts';
import type {
  BudgetMarks,
  BudgetReservation,
  BudgetReserveResult,
  BudgetUsage,
  StagedFigure,
} from './staging-store.ts';

export class RedisBudgets {
  readonly #redis: RedisClient;
  readonly #keys: StagingKeys;
  readonly #ttlMs: number;

  /** `ttlMs`: the staging TTL, how long an upload's figure outlives its last update. */
  constructor(redis: RedisClient, keys: StagingKeys, ttlMs: number) {
    this.#redis = redis;
    this.#keys = keys;
    this.#ttlMs = ttlMs;
    redis.defineCommand('sluiceBudgetReserve', { numberOfKeys: 4, lua: BUDGET_RESERVE });
    redis.defineCommand('sluiceBudgetRelease', { numberOfKeys: 4, lua: BUDGET_RELEASE });
    redis.defineCommand('sluiceBudgetSet', { numberOfKeys: 4, lua: BUDGET_SET });
    redis.defineCommand('sluiceBudgetUsage', { numberOfKeys: 4, lua: BUDGET_USAGE });
  }

  #budgetKeys(budget: Budget): string[] {
    const k = this.#keys.budget(budget);
    return [k.staged, k.reserved, k.lapse, k.totals];
  }

  /** How long a budget's keys live without writes: past every entry's lapse. */
  #keepMs(leaseMs = 0): string {
    return String(Math.max(this.#ttlMs, BUDGET_TOMBSTONE_MS, leaseMs));
  }

  async reserve(budget: Budget, writeId: string, r: BudgetReservation): Promise<BudgetReserveResult> {
    const leaseMs = Math.max(1, Math.ceil(r.leaseMs));
    const [result, staged = '0', others = '0'] = (await stagingScript(this.#redis, 'sluiceBudgetReserve', [
      ...this.#budgetKeys(budget),
      writeId,
      String(r.bytes),
      String(r.limit ?? -1),
      String(leaseMs),
      this.#keepMs(leaseMs),
    ])) as string[];
    if (result === 'ok' || result === 'lapsed') return { result };
    return { result: 'full', stagedBytes: Number(staged), reservedBytes: Number(others) };
  }

  async release(budget: Budget, writeId: string): Promise<void> {
    await stagingScript(this.#redis, 'sluiceBudgetRelease', [...this.#budgetKeys(budget), writeId]);
  }

  /** Sets the upload's figure (or, with 'gone', its tombstone) and drops the write's reservation. */
  async settle(
    budget: Budget,
    uploadId: string,
    figure: StagedFigure | 'gone',
    writeId: string,
  ): Promise<void> {
    const gone = figure === 'gone';
    await stagingScript(this.#redis, 'sluiceBudgetSet', [
      ...this.#budgetKeys(budget),
      uploadId,
      gone ? '0' : String(figure.bytes),
      gone ? 'gone' : String(figure.seq),
      writeId,
      String(gone ? BUDGET_TOMBSTONE_MS : this.#ttlMs),
      this.#keepMs(),
    ]);
  }

  /** Settles every budget marked as counting the upload of `tenant`, each in its own slot. */
  async settleMarked(
    marks: BudgetMarks,
    tenant: string,
    uploadId: string,
    figure: StagedFigure | 'gone',
  ): Promise<void> {
    await Promise.all(budgetsOf(marks, tenant).map((budget) => this.settle(budget, uploadId, figure, '')));
  }

  async usage(budget: Budget): Promise<BudgetUsage> {
    const [staged = '0', reserved = '0'] = (await stagingScript(
      this.#redis,
      'sluiceBudgetUsage',
      this.#budgetKeys(budget),
    )) as string[];
    return { stagedBytes: Number(staged), reservedBytes: Number(reserved) };
  }
}

/** The budgets `marks` names, for an upload of `tenant`. */
export function budgetsOf(marks: BudgetMarks, tenant: string): Budget[] {
  return [
    ...(marks.tenant ? [{ kind: 'tenant', tenant } as const] : []),
    ...(marks.global ? [{ kind: 'global' } as const] : []),
  ];
}

/** Marks as the scripts keep them: 't' for the tenant's budget, 'g' for the global one. */
export function marksText(marks: BudgetMarks | undefined): string {
  return `${marks?.tenant ? 't' : ''}${marks?.global ? 'g' : ''}`;
}

export function marksOf(text: string): BudgetMarks {
  return { tenant: text.includes('t'), global: text.includes('g') };
}

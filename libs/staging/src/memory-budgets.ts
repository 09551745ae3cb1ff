/**
 * Staged-byte budgets in memory, for `MemoryStaging`: the rules of `budget-scripts.ts` (set, not
 * added to; newer figures win; tombstones; leased reservations), without a TTL on the entries.
 */
import type { Budget, StagingKeys } from './keys.ts';
import type { BudgetReservation, BudgetReserveResult, BudgetUsage, StagedFigure } from './staging-store.ts';

/** One budget: its uploads' figures ('gone': a tombstone) and its reservations with their lease end. */
interface BudgetEntry {
  readonly staged: Map<string, StagedFigure | 'gone'>;
  readonly reserved: Map<string, { bytes: number; until: number }>;
}

export class MemoryBudgets {
  readonly #keys: StagingKeys;
  /** Budgets by the name of their `staged` key. */
  readonly #budgets = new Map<string, BudgetEntry>();

  constructor(keys: StagingKeys) {
    this.#keys = keys;
  }

  #entry(budget: Budget): BudgetEntry {
    const name = this.#keys.budget(budget).staged;
    let entry = this.#budgets.get(name);
    if (!entry) {
      entry = { staged: new Map(), reserved: new Map() };
      this.#budgets.set(name, entry);
    }
    return entry;
  }

  /** The budget's sums, its lapsed reservations pruned first. */
  usage(budget: Budget, now = Date.now()): BudgetUsage {
    const entry = this.#entry(budget);
    let stagedBytes = 0;
    let reservedBytes = 0;
    for (const figure of entry.staged.values()) if (figure !== 'gone') stagedBytes += figure.bytes;
    for (const [id, held] of entry.reserved) {
      if (held.until <= now) entry.reserved.delete(id);
      else reservedBytes += held.bytes;
    }
    return { stagedBytes, reservedBytes };
  }

  reserve(budget: Budget, writeId: string, r: BudgetReservation): BudgetReserveResult {
    const entry = this.#entry(budget);
    const now = Date.now();
    const usage = this.usage(budget, now);
    const mine = entry.reserved.get(writeId);
    if (r.limit === undefined && !mine) return { result: 'lapsed' };
    const others = usage.reservedBytes - (mine?.bytes ?? 0);
    if (r.limit !== undefined && usage.stagedBytes + others + r.bytes > r.limit)
      return { result: 'full', stagedBytes: usage.stagedBytes, reservedBytes: others };
    entry.reserved.set(writeId, { bytes: r.bytes, until: now + Math.max(1, Math.ceil(r.leaseMs)) });
    return { result: 'ok' };
  }

  release(budget: Budget, writeId: string): void {
    this.#entry(budget).reserved.delete(writeId);
  }

  /** Sets the upload's figure (or its tombstone) unless a newer one is there, and drops the write's reservation. */
  settle(budget: Budget, uploadId: string, figure: StagedFigure | 'gone', writeId: string): void {
    const entry = this.#entry(budget);
    if (writeId) entry.reserved.delete(writeId);
    const current = entry.staged.get(uploadId);
    if (current === 'gone') return;
    if (figure !== 'gone' && current && figure.seq <= current.seq) return;
    entry.staged.set(uploadId, figure);
  }
}

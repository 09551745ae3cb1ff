/**
 * The write side, whatever the database: a batch of records folded into the rows in one
 * transaction, together with the position it reaches, so the rows and the position are
 * always each other's truth. This file holds the algorithm; a {@link StoreBackend} per
 * database (mysql-projection-store.ts, postgres-projection-store.ts) holds only its SQL and
 * driver calls, so both stores decide the same rows from the same batch.
 *
 * Tables (migrations/0001_initial.sql, migrations/postgres/0001_initial.sql): `uploads` (one
 * row per upload), `chunks` and `parts` (one row per number of an upload), `consumer_offsets`
 * (next offset per group, topic and partition), `rejected_events` (records that can never be
 * projected, with why).
 *
 * One transaction, READ COMMITTED, locks taken in one order (offsets, then uploads by id,
 * then chunk and part rows, each sorted by key):
 * 1. lock the batch's partitions in `consumer_offsets` and drop every record below the
 *    stored next offset: it is in the rows already. Two projectors that both hold a
 *    partition for a moment (a rebalance, a stalled instance) queue on this lock and the
 *    second drops what the first wrote, so a record is applied once, whoever applies it;
 * 2. make sure every upload of the batch has a row (a placeholder the fold fills), so
 *    concurrent batches of one upload from two topics queue on the row lock instead of
 *    racing to insert it;
 * 3. read the uploads, and the chunk and part rows the batch names, fold the events in
 *    memory (fold.ts), and write back what changed;
 * 4. write the new next offsets, commit.
 */
import type { SluiceError } from '@sluice/errors';
import type { ProjectionEvent } from './events.ts';
import { MemoryProjection } from './memory-projection.ts';
import { placeholderUpload } from './rows.ts';
import { CHUNKS, PARTS, UPLOADS, type Table } from './sql-rows.ts';

/** Where a record sits in Kafka. */
export interface RecordPosition {
  /** The topic's actual name (prefix included). */
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}

/** Why a record can never be projected. */
export interface Rejection {
  readonly code: string;
  readonly message: string;
  readonly eventId?: string;
  readonly uploadId?: string;
}

/** A record to project: its event, or why it has none. */
export type ProjectionRecord = RecordPosition &
  (
    | { readonly event: ProjectionEvent; readonly rejected?: undefined }
    | { readonly event?: undefined; readonly rejected: Rejection }
  );

/** The next offset of one partition. */
export interface PartitionPosition {
  readonly topic: string;
  readonly partition: number;
  readonly nextOffset: bigint;
}

/** What one {@link ProjectionStore.apply} did. */
export interface ApplyResult {
  /** Records projected (or recorded as rejected) by this call, in batch order. */
  readonly applied: readonly ProjectionRecord[];
  /** Records dropped because the stored position was already past them. */
  readonly skipped: number;
}

/** Folds batches of records into a database, exactly once per record. */
export interface ProjectionStore {
  /** Names the position in `consumer_offsets`: the consumer group. */
  readonly groupId: string;
  /** The stored next offset of every partition of the group, by topic then partition. */
  positions(): Promise<PartitionPosition[]>;
  /**
   * Projects `records` (each partition's in offset order) in one transaction.
   * @throws SluiceError DATABASE_UNAVAILABLE (retriable) when the database fails or a lock
   *   conflict rolled the transaction back; INTERNAL (not retriable) when it refuses a value.
   */
  apply(records: readonly ProjectionRecord[]): Promise<ApplyResult>;
}

/** A topic and partition. */
export interface PartitionKey {
  readonly topic: string;
  readonly partition: number;
}

/** A row of `rejected_events`, cut to its columns. */
export interface RejectionRow extends RecordPosition {
  readonly eventId: string | null;
  readonly uploadId: string | null;
  readonly code: string;
  readonly message: string;
}

/** A primary key's values, in key column order. */
export type RowKey = readonly (string | number)[];

/**
 * The SQL of one transaction of {@link SqlProjectionStore}. Each call is one statement (or
 * one round of them); the store sorts and slices what it passes, so lock order and
 * statement size are decided once, here.
 */
export interface StoreTransaction {
  /**
   * Creates the partitions' rows at offset 0 where missing, locks them in the order given,
   * and returns their stored next offsets.
   */
  lockPositions(
    groupId: string,
    partitions: readonly PartitionKey[],
    now: Date,
  ): Promise<PartitionPosition[]>;
  /** Inserts the rows whose key is not taken; leaves existing rows as they are. */
  insertMissing<R>(table: Table<R>, rows: readonly R[]): Promise<void>;
  /** The rows with these keys, locked for update. */
  lockRows<R>(table: Table<R>, keys: readonly RowKey[]): Promise<R[]>;
  /** Inserts the rows, or sets every non-key column of those that exist. */
  upsert<R>(table: Table<R>, rows: readonly R[]): Promise<void>;
  /** Inserts rejections; one recorded before (same position) gets the new code and message. */
  recordRejections(rows: readonly RejectionRow[]): Promise<void>;
  /** Sets each partition's next offset to the greater of the stored one and the one given. */
  advancePositions(groupId: string, positions: readonly PartitionPosition[], now: Date): Promise<void>;
}

/** One database behind {@link SqlProjectionStore}. */
export interface StoreBackend {
  /** What the database's errors mean, as SluiceErrors (mysql-errors.ts, postgres-errors.ts). */
  error(err: unknown, doing: string): SluiceError;
  /** The group's stored positions, by topic then partition. */
  positions(groupId: string): Promise<PartitionPosition[]>;
  /**
   * Runs `work` in one READ COMMITTED transaction on one connection: commits when it
   * resolves, rolls back when it throws (and drops a connection that cannot roll back).
   */
  transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T>;
}

/** Options every store takes. */
export interface SqlProjectionStoreOptions {
  /** Names the position in `consumer_offsets`: the consumer group. */
  readonly groupId: string;
  /** Rows per statement (INSERT, or SELECT by keys). @default 500 */
  readonly rowsPerStatement?: number;
}

// Bounds of rejected_events' columns; NUL is replaced because PostgreSQL text cannot hold it,
// and a rejection the database refuses would stop its partition.
const REJECTION_LIMITS = { id: 255, code: 64, message: 16_000 } as const;

/** The algorithm of the header comment over a {@link StoreBackend}. */
export class SqlProjectionStore implements ProjectionStore {
  readonly groupId: string;
  readonly #backend: StoreBackend;
  readonly #rowsPerStatement: number;

  constructor(backend: StoreBackend, options: SqlProjectionStoreOptions) {
    this.#backend = backend;
    this.groupId = options.groupId;
    this.#rowsPerStatement = options.rowsPerStatement ?? 500;
  }

  async positions(): Promise<PartitionPosition[]> {
    try {
      return await this.#backend.positions(this.groupId);
    } catch (err) {
      throw this.#backend.error(err, 'reading the stored offsets');
    }
  }

  async apply(records: readonly ProjectionRecord[]): Promise<ApplyResult> {
    if (records.length === 0) return { applied: [], skipped: 0 };
    try {
      return await this.#backend.transaction((tx) => this.#applyIn(tx, records));
    } catch (err) {
      throw this.#backend.error(err, `projecting a batch of ${records.length} records`);
    }
  }

  async #applyIn(tx: StoreTransaction, records: readonly ProjectionRecord[]): Promise<ApplyResult> {
    const stored = await tx.lockPositions(this.groupId, partitionsOf(records), new Date());
    const next = new Map(stored.map((p) => [partitionKey(p), p.nextOffset]));
    const fresh = records.filter((r) => r.offset >= (next.get(partitionKey(r)) ?? 0n));
    if (fresh.length === 0) return { applied: [], skipped: records.length };

    const events = fresh.flatMap((r) => (r.event && r.event.kind !== 'unknown' ? [r.event] : []));
    if (events.length > 0) {
      const projection = await this.#load(tx, events);
      projection.apply(events);
      await this.#each(inKeyOrder(projection.uploads), (s) => tx.upsert(UPLOADS, s));
      await this.#each(inKeyOrder(projection.chunks, projection.changedChunks), (s) => tx.upsert(CHUNKS, s));
      await this.#each(inKeyOrder(projection.parts, projection.changedParts), (s) => tx.upsert(PARTS, s));
    }
    const rejections = rejectionRows(fresh);
    if (rejections.length > 0) await tx.recordRejections(rejections);
    await tx.advancePositions(this.groupId, nextPositions(fresh), new Date());
    return { applied: fresh, skipped: records.length - fresh.length };
  }

  /** The rows the events touch, read under lock; every upload gets a row first. */
  async #load(tx: StoreTransaction, events: readonly ProjectionEvent[]): Promise<MemoryProjection> {
    const firsts = new Map<string, ProjectionEvent>();
    const chunkKeys = new Map<string, [string, number]>();
    const partKeys = new Map<string, [string, number]>();
    for (const e of events) {
      if (!firsts.has(e.uploadId)) firsts.set(e.uploadId, e);
      if (e.kind === 'chunkUploaded')
        chunkKeys.set(`${e.uploadId}:${e.chunkNumber}`, [e.uploadId, e.chunkNumber]);
      if (e.kind === 'partStored') partKeys.set(`${e.uploadId}:${e.partNumber}`, [e.uploadId, e.partNumber]);
    }
    const ids = [...firsts.keys()].sort();
    const placeholders = ids.map((id) => placeholderUpload(firsts.get(id)!, firsts.get(id)!.occurredAt));
    await this.#each(placeholders, (s) => tx.insertMissing(UPLOADS, s));
    const keys = ids.map((id) => [id]);
    return new MemoryProjection().seed({
      uploads: await this.#read(keys, (s) => tx.lockRows(UPLOADS, s)),
      chunks: await this.#read(sortedKeys(chunkKeys), (s) => tx.lockRows(CHUNKS, s)),
      parts: await this.#read(sortedKeys(partKeys), (s) => tx.lockRows(PARTS, s)),
    });
  }

  async #each<T>(items: readonly T[], write: (slice: T[]) => Promise<void>): Promise<void> {
    for (let i = 0; i < items.length; i += this.#rowsPerStatement) {
      await write(items.slice(i, i + this.#rowsPerStatement));
    }
  }

  async #read<R>(keys: readonly RowKey[], read: (slice: RowKey[]) => Promise<R[]>): Promise<R[]> {
    const rows: R[] = [];
    await this.#each(keys, async (slice) => {
      rows.push(...(await read(slice)));
    });
    return rows;
  }
}

function partitionKey(p: PartitionKey): string {
  return `${p.topic}:${p.partition}`;
}

/** The batch's partitions, sorted: the order their rows are locked in. */
function partitionsOf(records: readonly ProjectionRecord[]): PartitionKey[] {
  const partitions = new Map<string, PartitionKey>();
  for (const r of records) partitions.set(partitionKey(r), { topic: r.topic, partition: r.partition });
  return [...partitions.values()].sort((a, b) =>
    a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition,
  );
}

/** Each partition's offset after its last record in `records`. */
function nextPositions(records: readonly ProjectionRecord[]): PartitionPosition[] {
  const next = new Map<string, PartitionPosition>();
  for (const r of records) {
    const key = partitionKey(r);
    if ((next.get(key)?.nextOffset ?? -1n) <= r.offset) {
      next.set(key, { topic: r.topic, partition: r.partition, nextOffset: r.offset + 1n });
    }
  }
  return [...next.values()];
}

function rejectionRows(records: readonly ProjectionRecord[]): RejectionRow[] {
  return records.flatMap((r) =>
    r.rejected
      ? [
          {
            topic: r.topic,
            partition: r.partition,
            offset: r.offset,
            eventId: storable(r.rejected.eventId, REJECTION_LIMITS.id),
            uploadId: storable(r.rejected.uploadId, REJECTION_LIMITS.id),
            code: storable(r.rejected.code, REJECTION_LIMITS.code) ?? '',
            message: storable(r.rejected.message, REJECTION_LIMITS.message) ?? '',
          },
        ]
      : [],
  );
}

function storable(value: string | undefined, max: number): string | null {
  return value === undefined ? null : value.slice(0, max).replaceAll('\u0000', '\uFFFD');
}

/** The rows of `keys` (all of them by default), sorted by key: the order they are written in. */
function inKeyOrder<R>(rows: ReadonlyMap<string, R>, keys: Iterable<string> = rows.keys()): R[] {
  return [...keys].sort().map((k) => rows.get(k)!);
}

function sortedKeys(keys: ReadonlyMap<string, [string, number]>): RowKey[] {
  return [...keys.values()].sort(([u1, n1], [u2, n2]) => (u1 < u2 ? -1 : u1 > u2 ? 1 : n1 - n2));
}

/**
 * The write side: a batch of records folded into MySQL in one transaction, together with
 * the position it reaches, so the rows and the position are always each other's truth.
 *
 * Tables (migrations/0001_initial.sql): `uploads` (one row per upload), `chunks` and `parts`
 * (one row per number of an upload), `consumer_offsets` (next offset per group, topic and
 * partition), `rejected_events` (records that can never be projected, with why).
 *
 * One transaction, READ COMMITTED, locks taken in one order (offsets, then uploads by id,
 * then chunk and part rows):
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
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import type { ProjectionEvent } from './events.ts';
import { MemoryProjection } from './memory-projection.ts';
import { databaseError } from './mysql-errors.ts';
import { placeholderUpload, type ChunkRow, type PartRow, type UploadRow } from './rows.ts';
import {
  CHUNK_COLUMNS,
  columnList,
  fromSql,
  PART_COLUMNS,
  READ_OPTIONS,
  sqlTime,
  toSql,
  UPLOAD_COLUMNS,
  updateList,
  type Columns,
} from './sql-rows.ts';

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

/** What one {@link MysqlProjectionStore.apply} did. */
export interface ApplyResult {
  /** Records projected (or recorded as rejected) by this call, in batch order. */
  readonly applied: readonly ProjectionRecord[];
  /** Records dropped because the stored position was already past them. */
  readonly skipped: number;
}

/** Options of {@link MysqlProjectionStore}. */
export interface ProjectionStoreOptions {
  /** A pool on the projection's database (any options; reads set their own). */
  readonly pool: Pool;
  /** Names the position in `consumer_offsets`: the consumer group. */
  readonly groupId: string;
  /** Rows per INSERT statement. @default 500 */
  readonly rowsPerStatement?: number;
}

/** Folds batches of records into MySQL, exactly once per record. */
export class MysqlProjectionStore {
  readonly groupId: string;
  readonly #pool: Pool;
  readonly #rowsPerStatement: number;
  readonly #readCommitted = new WeakSet<object>();

  constructor(options: ProjectionStoreOptions) {
    this.#pool = options.pool;
    this.groupId = options.groupId;
    this.#rowsPerStatement = options.rowsPerStatement ?? 500;
  }

  /** The stored next offset of every partition of the group. */
  async positions(): Promise<PartitionPosition[]> {
    try {
      const [rows] = await this.#pool.query<RowDataPacket[]>({
        sql: 'SELECT topic, partition_id, next_offset FROM consumer_offsets WHERE group_id = ? ORDER BY topic, partition_id',
        values: [this.groupId],
        ...READ_OPTIONS,
      });
      return rows.map((r) => ({
        topic: String(r['topic']),
        partition: Number(r['partition_id']),
        nextOffset: BigInt(r['next_offset'] as string),
      }));
    } catch (err) {
      throw databaseError(err, 'reading the stored offsets');
    }
  }

  /**
   * Projects `records` (each partition's in offset order) in one transaction.
   * @throws SluiceError DATABASE_UNAVAILABLE (retriable) when MySQL fails or a lock conflict
   *   rolled the transaction back; INTERNAL (not retriable) when MySQL refuses a value.
   */
  async apply(records: readonly ProjectionRecord[]): Promise<ApplyResult> {
    if (records.length === 0) return { applied: [], skipped: 0 };
    let conn: PoolConnection;
    let result: ApplyResult;
    try {
      conn = await this.#pool.getConnection();
    } catch (err) {
      throw databaseError(err, 'connecting');
    }
    try {
      if (!this.#readCommitted.has(conn.connection)) {
        // Locking reads see the latest rows at any level; READ COMMITTED spares the gap
        // locks that would make batches of neighbouring uploads wait on each other.
        await conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
        this.#readCommitted.add(conn.connection);
      }
      await conn.query('START TRANSACTION');
      result = await this.#applyIn(conn, records);
      await conn.query('COMMIT');
    } catch (err) {
      // A connection that cannot even roll back is not handed out again.
      const usable = await conn.query('ROLLBACK').then(
        () => true,
        () => false,
      );
      if (usable) conn.release();
      else conn.destroy();
      throw databaseError(err, `projecting a batch of ${records.length} records`);
    }
    conn.release();
    return result;
  }

  async #applyIn(conn: PoolConnection, records: readonly ProjectionRecord[]): Promise<ApplyResult> {
    const stored = await this.#lockPositions(conn, records);
    const fresh = records.filter((r) => r.offset >= (stored.get(partitionKey(r)) ?? 0n));
    if (fresh.length === 0) return { applied: [], skipped: records.length };

    const events = fresh.flatMap((r) => (r.event && r.event.kind !== 'unknown' ? [r.event] : []));
    if (events.length > 0) {
      const projection = await this.#load(conn, events);
      projection.apply(events);
      await this.#upsert(conn, 'uploads', UPLOAD_COLUMNS, ['upload_id'], [...projection.uploads.values()]);
      await this.#upsert(
        conn,
        'chunks',
        CHUNK_COLUMNS,
        ['upload_id', 'chunk_number'],
        pick(projection.chunks, projection.changedChunks),
      );
      await this.#upsert(
        conn,
        'parts',
        PART_COLUMNS,
        ['upload_id', 'part_number'],
        pick(projection.parts, projection.changedParts),
      );
    }
    await this.#recordRejections(conn, fresh);

    const next = new Map<string, RecordPosition>();
    for (const r of fresh) {
      const key = partitionKey(r);
      if ((next.get(key)?.offset ?? -1n) < r.offset) next.set(key, r);
    }
    const now = sqlTime(new Date());
    await conn.query(
      `INSERT INTO consumer_offsets (group_id, topic, partition_id, next_offset, updated_at) VALUES ?
       ON DUPLICATE KEY UPDATE next_offset = GREATEST(next_offset, VALUES(next_offset)), updated_at = VALUES(updated_at)`,
      [[...next.values()].map((r) => [this.groupId, r.topic, r.partition, (r.offset + 1n).toString(), now])],
    );
    return { applied: fresh, skipped: records.length - fresh.length };
  }

  /** Locks the batch's partitions (creating their rows at 0) and returns their stored next offsets. */
  async #lockPositions(
    conn: PoolConnection,
    records: readonly ProjectionRecord[],
  ): Promise<Map<string, bigint>> {
    const partitions = new Map<string, [string, number]>();
    for (const r of records) partitions.set(partitionKey(r), [r.topic, r.partition]);
    const sorted = [...partitions.values()].sort(([t1, p1], [t2, p2]) =>
      t1 < t2 ? -1 : t1 > t2 ? 1 : p1 - p2,
    );
    const now = sqlTime(new Date());
    await conn.query(
      `INSERT INTO consumer_offsets (group_id, topic, partition_id, next_offset, updated_at) VALUES ?
       ON DUPLICATE KEY UPDATE next_offset = next_offset`,
      [sorted.map(([t, p]) => [this.groupId, t, p, 0, now])],
    );
    const [rows] = await conn.query<RowDataPacket[]>({
      sql: `SELECT topic, partition_id, next_offset FROM consumer_offsets
            WHERE group_id = ? AND (topic, partition_id) IN (?) FOR UPDATE`,
      values: [this.groupId, sorted],
      ...READ_OPTIONS,
    });
    return new Map(
      rows.map((r) => [
        `${String(r['topic'])}:${Number(r['partition_id'])}`,
        BigInt(r['next_offset'] as string),
      ]),
    );
  }

  /** The rows the events touch, read under lock; every upload gets a row first. */
  async #load(conn: PoolConnection, events: readonly ProjectionEvent[]): Promise<MemoryProjection> {
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
    for (const slice of slices(ids, this.#rowsPerStatement)) {
      await conn.query(
        `INSERT INTO uploads (${columnList(UPLOAD_COLUMNS)}) VALUES ? ON DUPLICATE KEY UPDATE upload_id = upload_id`,
        [
          slice.map((id) =>
            toSql(UPLOAD_COLUMNS, placeholderUpload(firsts.get(id)!, firsts.get(id)!.occurredAt)),
          ),
        ],
      );
    }
    const uploads: UploadRow[] = [];
    for (const slice of slices(ids, this.#rowsPerStatement)) {
      uploads.push(...(await this.#select(conn, 'uploads', UPLOAD_COLUMNS, 'upload_id IN (?)', [slice])));
    }
    const chunks = await this.#selectPairs(conn, 'chunks', CHUNK_COLUMNS, 'chunk_number', [
      ...chunkKeys.values(),
    ]);
    const parts = await this.#selectPairs(conn, 'parts', PART_COLUMNS, 'part_number', [...partKeys.values()]);
    return new MemoryProjection().seed({ uploads, chunks, parts });
  }

  async #selectPairs<R extends ChunkRow | PartRow>(
    conn: PoolConnection,
    table: string,
    columns: Columns<R>,
    numberColumn: string,
    keys: [string, number][],
  ): Promise<R[]> {
    const rows: R[] = [];
    keys.sort(([u1, n1], [u2, n2]) => (u1 < u2 ? -1 : u1 > u2 ? 1 : n1 - n2));
    for (const slice of slices(keys, this.#rowsPerStatement)) {
      rows.push(
        ...(await this.#select(conn, table, columns, `(upload_id, ${numberColumn}) IN (?)`, [slice])),
      );
    }
    return rows;
  }

  async #select<R>(
    conn: PoolConnection,
    table: string,
    columns: Columns<R>,
    where: string,
    values: unknown[],
  ): Promise<R[]> {
    const [rows] = await conn.query<RowDataPacket[]>({
      sql: `SELECT ${columnList(columns)} FROM ${table} WHERE ${where} FOR UPDATE`,
      values,
      ...READ_OPTIONS,
    });
    return rows.map((r) => fromSql(columns, r));
  }

  async #upsert<R>(
    conn: PoolConnection,
    table: string,
    columns: Columns<R>,
    keys: readonly string[],
    rows: readonly R[],
  ): Promise<void> {
    for (const slice of slices(rows, this.#rowsPerStatement)) {
      await conn.query(
        `INSERT INTO ${table} (${columnList(columns)}) VALUES ? ON DUPLICATE KEY UPDATE ${updateList(columns, keys)}`,
        [slice.map((row) => toSql(columns, row))],
      );
    }
  }

  async #recordRejections(conn: PoolConnection, records: readonly ProjectionRecord[]): Promise<void> {
    const rows = records.flatMap((r) =>
      r.rejected
        ? [
            [
              r.topic,
              r.partition,
              r.offset.toString(),
              r.rejected.eventId?.slice(0, 255) ?? null,
              r.rejected.uploadId?.slice(0, 255) ?? null,
              r.rejected.code.slice(0, 64),
              r.rejected.message.slice(0, 16_000),
            ],
          ]
        : [],
    );
    if (rows.length === 0) return;
    await conn.query(
      `INSERT INTO rejected_events (topic, partition_id, record_offset, event_id, upload_id, error_code, message) VALUES ?
       ON DUPLICATE KEY UPDATE error_code = VALUES(error_code), message = VALUES(message)`,
      [rows],
    );
  }
}

function partitionKey(p: { readonly topic: string; readonly partition: number }): string {
  return `${p.topic}:${p.partition}`;
}

function pick<R>(rows: ReadonlyMap<string, R>, keys: ReadonlySet<string>): R[] {
  return [...keys].sort().map((k) => rows.get(k)!);
}

function slices<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

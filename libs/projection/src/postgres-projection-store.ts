/**
 * The projection store on PostgreSQL: the SQL of projection-store.ts's algorithm (read it
 * for the transaction, its steps and its lock order); the schema is
 * migrations/postgres/0001_initial.sql.
 *
 * Rows travel as one array per column, `INSERT … SELECT * FROM unnest($1::text[], $2::numeric[], …)`,
 * rather than as a multi-row VALUES list: a statement takes one parameter per column
 * (46 for `uploads`) instead of one per value (23,000 for 500 uploads), so PostgreSQL's limit
 * of 65,535 parameters never caps a batch, the server binds a handful of arrays instead of
 * thousands of parameters, and the statement text is the same at any batch size. Keys to
 * lock go the same way, `(a, b) IN (SELECT * FROM unnest(…))`.
 *
 * Values are written as text the server parses exactly: 64-bit integers as decimals into
 * NUMERIC(20,0), times as ISO-8601 with `Z` into TIMESTAMPTZ (so the session's time zone
 * plays no part). Existing rows are locked with `SELECT … ORDER BY key FOR UPDATE`, which
 * locks in key order; a row a concurrent transaction inserted and has not committed makes
 * `INSERT … ON CONFLICT DO NOTHING` wait for it, as MySQL's duplicate key check does.
 */
import type { SluiceError } from '@sluice/errors';
import type { Pool, PoolClient } from 'pg';
import { postgresError } from './postgres-errors.ts';
import {
  SqlProjectionStore,
  type PartitionKey,
  type PartitionPosition,
  type RejectionRow,
  type RowKey,
  type SqlProjectionStoreOptions,
  type StoreBackend,
  type StoreTransaction,
} from './projection-store.ts';
import { columnList, fromSql, pgTime, toSql, type Kind, type Table } from './sql-rows.ts';

/** Options of {@link PostgresProjectionStore}. */
export interface PostgresProjectionStoreOptions extends SqlProjectionStoreOptions {
  /** A pool on the projection's database (migrated with `migratePostgres`). */
  readonly pool: Pool;
}

/** Folds batches of records into PostgreSQL, exactly once per record. */
export class PostgresProjectionStore extends SqlProjectionStore {
  constructor(options: PostgresProjectionStoreOptions) {
    super(new PostgresStoreBackend(options.pool), options);
  }
}

/** The array type each kind of column travels in. */
const ARRAY_TYPE: Readonly<Record<Kind, string>> = {
  text: 'text[]',
  'text?': 'text[]',
  int: 'int8[]',
  'int?': 'int8[]',
  bigint: 'numeric[]',
  'bigint?': 'numeric[]',
  time: 'timestamptz[]',
  'time?': 'timestamptz[]',
};

class PostgresStoreBackend implements StoreBackend {
  readonly #pool: Pool;

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  error(err: unknown, doing: string): SluiceError {
    return postgresError(err, doing);
  }

  async positions(groupId: string): Promise<PartitionPosition[]> {
    const { rows } = await this.#pool.query<Record<string, unknown>>(
      'SELECT topic, partition_id, next_offset FROM consumer_offsets WHERE group_id = $1 ORDER BY topic, partition_id',
      [groupId],
    );
    return rows.map(toPosition);
  }

  async transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    let result: T;
    try {
      await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      result = await work(new PostgresTransaction(client));
      await client.query('COMMIT');
    } catch (err) {
      // A connection that cannot even roll back is not handed out again.
      const usable = await client.query('ROLLBACK').then(
        () => true,
        () => false,
      );
      client.release(!usable);
      throw err;
    }
    client.release();
    return result;
  }
}

class PostgresTransaction implements StoreTransaction {
  readonly #client: PoolClient;

  constructor(client: PoolClient) {
    this.#client = client;
  }

  async lockPositions(
    groupId: string,
    partitions: readonly PartitionKey[],
    now: Date,
  ): Promise<PartitionPosition[]> {
    const topics = partitions.map((p) => p.topic);
    const numbers = partitions.map((p) => p.partition);
    await this.#client.query(
      `INSERT INTO consumer_offsets (group_id, topic, partition_id, next_offset, updated_at)
       SELECT $1::text, p.topic, p.partition_id, 0, $4::timestamptz
       FROM unnest($2::text[], $3::int8[]) AS p (topic, partition_id)
       ON CONFLICT (group_id, topic, partition_id) DO NOTHING`,
      [groupId, topics, numbers, pgTime(now)],
    );
    const { rows } = await this.#client.query<Record<string, unknown>>(
      `SELECT topic, partition_id, next_offset FROM consumer_offsets
       WHERE group_id = $1 AND (topic, partition_id) IN (SELECT * FROM unnest($2::text[], $3::int8[]))
       ORDER BY topic, partition_id FOR UPDATE`,
      [groupId, topics, numbers],
    );
    return rows.map(toPosition);
  }

  async insertMissing<R>(table: Table<R>, rows: readonly R[]): Promise<void> {
    await this.#client.query(
      `INSERT INTO ${table.name} (${columnList(table.columns)}) ${fromArrays(table)}
       ON CONFLICT (${table.key.join(', ')}) DO NOTHING`,
      columnArrays(table, rows),
    );
  }

  async lockRows<R>(table: Table<R>, keys: readonly RowKey[]): Promise<R[]> {
    const types = table.key.map((k, i) => `$${i + 1}::${ARRAY_TYPE[kindOf(table, k)]}`);
    const { rows } = await this.#client.query<Record<string, unknown>>(
      `SELECT ${columnList(table.columns)} FROM ${table.name}
       WHERE (${table.key.join(', ')}) IN (SELECT * FROM unnest(${types.join(', ')}))
       ORDER BY ${table.key.join(', ')} FOR UPDATE`,
      table.key.map((_, i) => keys.map((k) => k[i])),
    );
    return rows.map((r) => fromSql(table.columns, r));
  }

  async upsert<R>(table: Table<R>, rows: readonly R[]): Promise<void> {
    const updates = table.columns
      .filter(([, c]) => !table.key.includes(c))
      .map(([, c]) => `${c} = EXCLUDED.${c}`);
    await this.#client.query(
      `INSERT INTO ${table.name} (${columnList(table.columns)}) ${fromArrays(table)}
       ON CONFLICT (${table.key.join(', ')}) DO UPDATE SET ${updates.join(', ')}`,
      columnArrays(table, rows),
    );
  }

  async recordRejections(rows: readonly RejectionRow[]): Promise<void> {
    await this.#client.query(
      `INSERT INTO rejected_events (topic, partition_id, record_offset, event_id, upload_id, error_code, message)
       SELECT * FROM unnest($1::text[], $2::int8[], $3::int8[], $4::text[], $5::text[], $6::text[], $7::text[])
       ON CONFLICT (topic, partition_id, record_offset)
       DO UPDATE SET error_code = EXCLUDED.error_code, message = EXCLUDED.message`,
      [
        rows.map((r) => r.topic),
        rows.map((r) => r.partition),
        rows.map((r) => r.offset.toString()),
        rows.map((r) => r.eventId),
        rows.map((r) => r.uploadId),
        rows.map((r) => r.code),
        rows.map((r) => r.message),
      ],
    );
  }

  async advancePositions(groupId: string, positions: readonly PartitionPosition[], now: Date): Promise<void> {
    await this.#client.query(
      `INSERT INTO consumer_offsets (group_id, topic, partition_id, next_offset, updated_at)
       SELECT $1::text, p.topic, p.partition_id, p.next_offset, $5::timestamptz
       FROM unnest($2::text[], $3::int8[], $4::int8[]) AS p (topic, partition_id, next_offset)
       ON CONFLICT (group_id, topic, partition_id) DO UPDATE
       SET next_offset = GREATEST(consumer_offsets.next_offset, EXCLUDED.next_offset),
           updated_at = EXCLUDED.updated_at`,
      [
        groupId,
        positions.map((p) => p.topic),
        positions.map((p) => p.partition),
        positions.map((p) => p.nextOffset.toString()),
        pgTime(now),
      ],
    );
  }
}

/** `SELECT * FROM unnest($1::text[], …)`: one array parameter per column of `table`. */
function fromArrays<R>(table: Table<R>): string {
  const arrays = table.columns.map(([, , kind], i) => `$${i + 1}::${ARRAY_TYPE[kind]}`);
  return `SELECT * FROM unnest(${arrays.join(', ')})`;
}

/** The rows as one array per column, for {@link fromArrays}. */
function columnArrays<R>(table: Table<R>, rows: readonly R[]): (string | number | null)[][] {
  const values = rows.map((row) => toSql(table.columns, row, pgTime));
  return table.columns.map((_, i) => values.map((v) => v[i] ?? null));
}

function kindOf<R>(table: Table<R>, column: string): Kind {
  return table.columns.find(([, c]) => c === column)![2];
}

function toPosition(r: Record<string, unknown>): PartitionPosition {
  return {
    topic: String(r['topic']),
    partition: Number(r['partition_id']),
    nextOffset: BigInt(r['next_offset'] as string),
  };
}

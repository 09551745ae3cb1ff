/**
 * The projection store on MySQL/MariaDB: the SQL of projection-store.ts's algorithm (read
 * it for the transaction, its steps and its lock order).
 *
 * mysql2 expands `VALUES ?` with nested arrays into multi-row VALUES (escaped client-side),
 * and `(a, b) IN (?)` into a list of tuples; upserts use `ON DUPLICATE KEY UPDATE col =
 * VALUES(col)`, which both MariaDB and MySQL 8 accept. The session's isolation level is
 * set once per connection.
 */
import type { SluiceError } from '@sluice/errors';
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { databaseError } from './mysql-errors.ts';
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
import { columnList, fromSql, READ_OPTIONS, sqlTime, toSql, updateList, type Table } from './sql-rows.ts';

/** Options of {@link MysqlProjectionStore}. */
export interface ProjectionStoreOptions extends SqlProjectionStoreOptions {
  /** A pool on the projection's database (any options; reads set their own). */
  readonly pool: Pool;
}

/** Folds batches of records into MySQL, exactly once per record. */
export class MysqlProjectionStore extends SqlProjectionStore {
  constructor(options: ProjectionStoreOptions) {
    super(new MysqlStoreBackend(options.pool), options);
  }
}

class MysqlStoreBackend implements StoreBackend {
  readonly #pool: Pool;
  readonly #readCommitted = new WeakSet<object>();

  constructor(pool: Pool) {
    this.#pool = pool;
  }

  error(err: unknown, doing: string): SluiceError {
    return databaseError(err, doing);
  }

  async positions(groupId: string): Promise<PartitionPosition[]> {
    const [rows] = await this.#pool.query<RowDataPacket[]>({
      sql: 'SELECT topic, partition_id, next_offset FROM consumer_offsets WHERE group_id = ? ORDER BY topic, partition_id',
      values: [groupId],
      ...READ_OPTIONS,
    });
    return rows.map(toPosition);
  }

  async transaction<T>(work: (tx: StoreTransaction) => Promise<T>): Promise<T> {
    const conn = await this.#pool.getConnection();
    let result: T;
    try {
      if (!this.#readCommitted.has(conn.connection)) {
        // Locking reads see the latest rows at any level; READ COMMITTED spares the gap
        // locks that would make batches of neighbouring uploads wait on each other.
        await conn.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
        this.#readCommitted.add(conn.connection);
      }
      await conn.query('START TRANSACTION');
      result = await work(new MysqlTransaction(conn));
      await conn.query('COMMIT');
    } catch (err) {
      // A connection that cannot even roll back is not handed out again.
      const usable = await conn.query('ROLLBACK').then(
        () => true,
        () => false,
      );
      if (usable) conn.release();
      else conn.destroy();
      throw err;
    }
    conn.release();
    return result;
  }
}

class MysqlTransaction implements StoreTransaction {
  readonly #conn: PoolConnection;

  constructor(conn: PoolConnection) {
    this.#conn = conn;
  }

  async lockPositions(
    groupId: string,
    partitions: readonly PartitionKey[],
    now: Date,
  ): Promise<PartitionPosition[]> {
    const at = sqlTime(now);
    await this.#conn.query(
      `INSERT INTO consumer_offsets (group_id, topic, partition_id, next_offset, updated_at) VALUES ?
       ON DUPLICATE KEY UPDATE next_offset = next_offset`,
      [partitions.map((p) => [groupId, p.topic, p.partition, 0, at])],
    );
    const [rows] = await this.#conn.query<RowDataPacket[]>({
      sql: `SELECT topic, partition_id, next_offset FROM consumer_offsets
            WHERE group_id = ? AND (topic, partition_id) IN (?) FOR UPDATE`,
      values: [groupId, partitions.map((p) => [p.topic, p.partition])],
      ...READ_OPTIONS,
    });
    return rows.map(toPosition);
  }

  async insertMissing<R>(table: Table<R>, rows: readonly R[]): Promise<void> {
    const [first] = table.key;
    await this.#conn.query(
      `INSERT INTO ${table.name} (${columnList(table.columns)}) VALUES ? ON DUPLICATE KEY UPDATE ${first} = ${first}`,
      [rows.map((row) => toSql(table.columns, row))],
    );
  }

  async lockRows<R>(table: Table<R>, keys: readonly RowKey[]): Promise<R[]> {
    const single = table.key.length === 1;
    const [rows] = await this.#conn.query<RowDataPacket[]>({
      sql:
        `SELECT ${columnList(table.columns)} FROM ${table.name} ` +
        `WHERE ${single ? table.key[0] : `(${table.key.join(', ')})`} IN (?) FOR UPDATE`,
      values: [single ? keys.map((k) => k[0]) : keys],
      ...READ_OPTIONS,
    });
    return rows.map((r) => fromSql(table.columns, r));
  }

  async upsert<R>(table: Table<R>, rows: readonly R[]): Promise<void> {
    await this.#conn.query(
      `INSERT INTO ${table.name} (${columnList(table.columns)}) VALUES ? ON DUPLICATE KEY UPDATE ${updateList(table.columns, table.key)}`,
      [rows.map((row) => toSql(table.columns, row))],
    );
  }

  async recordRejections(rows: readonly RejectionRow[]): Promise<void> {
    await this.#conn.query(
      `INSERT INTO rejected_events (topic, partition_id, record_offset, event_id, upload_id, error_code, message) VALUES ?
       ON DUPLICATE KEY UPDATE error_code = VALUES(error_code), message = VALUES(message)`,
      [
        rows.map((r) => [
          r.topic,
          r.partition,
          r.offset.toString(),
          r.eventId,
          r.uploadId,
          r.code,
          r.message,
        ]),
      ],
    );
  }

  async advancePositions(groupId: string, positions: readonly PartitionPosition[], now: Date): Promise<void> {
    const at = sqlTime(now);
    await this.#conn.query(
      `INSERT INTO consumer_offsets (group_id, topic, partition_id, next_offset, updated_at) VALUES ?
       ON DUPLICATE KEY UPDATE next_offset = GREATEST(next_offset, VALUES(next_offset)), updated_at = VALUES(updated_at)`,
      [positions.map((p) => [groupId, p.topic, p.partition, p.nextOffset.toString(), at])],
    );
  }
}

function toPosition(r: RowDataPacket): PartitionPosition {
  return {
    topic: String(r['topic']),
    partition: Number(r['partition_id']),
    nextOffset: BigInt(r['next_offset'] as string),
  };
}

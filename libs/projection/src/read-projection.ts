import type { RowDataPacket } from 'mysql2/promise';
import type { PostgresQueryable, Queryable } from './compare.ts';
import { MemoryProjection } from './memory-projection.ts';
import { columnList, fromSql, READ_OPTIONS, CHUNKS, PARTS, UPLOADS, type Table } from './sql-rows.ts';

type SelectAll = (sql: string) => Promise<readonly Readonly<Record<string, unknown>>[]>;

async function all<R>(select: SelectAll, table: Table<R>): Promise<R[]> {
  const rows = await select(`SELECT ${columnList(table.columns)} FROM ${table.name}`);
  return rows.map((r) => fromSql(table.columns, r));
}

async function read(select: SelectAll): Promise<MemoryProjection> {
  return new MemoryProjection().seed({
    uploads: await all(select, UPLOADS),
    chunks: await all(select, CHUNKS),
    parts: await all(select, PARTS),
  });
}

/**
 * Every row of a MySQL projection database, in memory: for tests and small tools that
 * compare a database with what an in-memory fold of the same events gives. Reads whole tables.
 */
export async function readProjection(db: Queryable): Promise<MemoryProjection> {
  return read(async (sql) => (await db.query<RowDataPacket[]>({ sql, ...READ_OPTIONS }))[0]);
}

/** {@link readProjection} of a PostgreSQL projection database. */
export async function readPostgresProjection(db: PostgresQueryable): Promise<MemoryProjection> {
  return read(async (sql) => (await db.query<Record<string, unknown>>(sql)).rows);
}

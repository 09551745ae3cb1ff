import type { RowDataPacket } from 'mysql2/promise';
import type { Queryable } from './compare.ts';
import { MemoryProjection } from './memory-projection.ts';
import type { ChunkRow, PartRow, UploadRow } from './rows.ts';
import {
  CHUNK_COLUMNS,
  columnList,
  fromSql,
  PART_COLUMNS,
  READ_OPTIONS,
  UPLOAD_COLUMNS,
  type Columns,
} from './sql-rows.ts';

async function all<R>(db: Queryable, table: string, columns: Columns<R>): Promise<R[]> {
  const [rows] = await db.query<RowDataPacket[]>({
    sql: `SELECT ${columnList(columns)} FROM ${table}`,
    ...READ_OPTIONS,
  });
  return rows.map((r) => fromSql(columns, r));
}

/**
 * Every row of a projection database, in memory: for tests and small tools that compare a
 * database with what an in-memory fold of the same events gives. Reads whole tables.
 */
export async function readProjection(db: Queryable): Promise<MemoryProjection> {
  return new MemoryProjection().seed({
    uploads: await all<UploadRow>(db, 'uploads', UPLOAD_COLUMNS),
    chunks: await all<ChunkRow>(db, 'chunks', CHUNK_COLUMNS),
    parts: await all<PartRow>(db, 'parts', PART_COLUMNS),
  });
}

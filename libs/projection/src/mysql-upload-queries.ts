/**
 * The read side (upload-queries.ts) on MySQL/MariaDB. Each query carries mysql2's own
 * timeout, which fails it and drops its connection when the server does not answer in time.
 */
import type { SluiceError } from '@sluice/errors';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import { databaseError } from './mysql-errors.ts';
import { READ_OPTIONS, sqlTime } from './sql-rows.ts';
import { SqlUploadReader, type ReadBackend, type Select } from './upload-queries.ts';

/** Options of {@link UploadQueries}. */
export interface UploadQueriesOptions {
  readonly pool: Pool;
  /** How long one query may take before it fails DATABASE_UNAVAILABLE (its connection is dropped). @default 5000 */
  readonly queryTimeoutMs?: number;
}

/** Reads upload state from the projection's MySQL database. */
export class UploadQueries extends SqlUploadReader {
  constructor(options: UploadQueriesOptions) {
    super(mysqlReadBackend(options.pool, options.queryTimeoutMs ?? 5000));
  }
}

function mysqlReadBackend(pool: Pool, timeout: number): ReadBackend {
  const select: Select = async (sql, values) => {
    const [rows] = await pool.query<RowDataPacket[]>({ sql, values: [...values], timeout, ...READ_OPTIONS });
    return rows;
  };
  return {
    placeholder: () => '?',
    time: sqlTime,
    read: (work) => work(select),
    error: (err: unknown, doing: string): SluiceError => databaseError(err, doing),
  };
}

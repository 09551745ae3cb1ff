/**
 * The read side (upload-queries.ts) on PostgreSQL. The reads of one call run in one
 * READ ONLY transaction under `SET LOCAL statement_timeout`, so the server cancels a query
 * that runs or waits on a lock too long (57014, DATABASE_UNAVAILABLE) and the session stays
 * usable, without a timeout left on a pooled session. node-pg's client-side `query_timeout`,
 * a second later, covers a server that does not answer at all; that session is dropped.
 */
import type { SluiceError } from '@sluice/errors';
import type { Pool, QueryConfig } from 'pg';
import { postgresError, sqlState } from './postgres-errors.ts';
import { pgTime } from './sql-rows.ts';
import { SqlUploadReader, type ReadBackend, type Select } from './upload-queries.ts';

/** Options of {@link PostgresUploadQueries}. */
export interface PostgresUploadQueriesOptions {
  readonly pool: Pool;
  /** How long one query may take before it fails DATABASE_UNAVAILABLE. @default 5000 */
  readonly queryTimeoutMs?: number;
}

/** Reads upload state from the projection's PostgreSQL database. */
export class PostgresUploadQueries extends SqlUploadReader {
  constructor(options: PostgresUploadQueriesOptions) {
    super(postgresReadBackend(options.pool, Math.max(1, Math.round(options.queryTimeoutMs ?? 5000))));
  }
}

function postgresReadBackend(pool: Pool, timeoutMs: number): ReadBackend {
  return {
    placeholder: (n) => `$${n}`,
    time: pgTime,
    async read<T>(work: (select: Select) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      let result: T;
      try {
        await client.query(`BEGIN READ ONLY; SET LOCAL statement_timeout = ${timeoutMs}`);
        result = await work(async (text, values) => {
          const config = { text, values: [...values], query_timeout: timeoutMs + 1000 };
          return (await client.query<Record<string, unknown>>(config as QueryConfig)).rows;
        });
        await client.query('COMMIT');
      } catch (err) {
        // After an error the server sent, the session is usable once rolled back; after a
        // lost connection or the client's own timeout it is not.
        const usable =
          sqlState(err) !== undefined &&
          (await client.query('ROLLBACK').then(
            () => true,
            () => false,
          ));
        client.release(!usable);
        throw err;
      }
      client.release();
      return result;
    },
    error: (err: unknown, doing: string): SluiceError => postgresError(err, doing),
  };
}

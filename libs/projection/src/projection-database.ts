/**
 * One door to a projection database, chosen by the URL's scheme: `mysql://` (MySQL or
 * MariaDB) or `postgres://` / `postgresql://`. It builds the pool and hands out the store,
 * the read side and the migrator of that database, so an app holds one URL and no
 * database-specific code.
 */
import { FailedPreconditionError, type SluiceError } from '@sluice/errors';
import mysql from 'mysql2/promise';
import { Pool as PgPool, type PoolConfig as PgPoolConfig } from 'pg';
import type { MigrateOptions, MigrateResult } from './migrator.ts';
import { databaseError } from './mysql-errors.ts';
import { migrate } from './mysql-migrator.ts';
import { MysqlProjectionStore } from './mysql-projection-store.ts';
import { UploadQueries } from './mysql-upload-queries.ts';
import { postgresError } from './postgres-errors.ts';
import { migratePostgres } from './postgres-migrator.ts';
import { PostgresProjectionStore } from './postgres-projection-store.ts';
import { PostgresUploadQueries } from './postgres-upload-queries.ts';
import type { ProjectionStore } from './projection-store.ts';
import type { UploadReader } from './upload-queries.ts';

/** Pool options per database; the URL gives host, port, user, password and database. */
export interface ProjectionDatabaseOptions {
  /** For `mysql://`: mysql2 pool options, e.g. `ssl`, `connectionLimit`. */
  readonly mysql?: Omit<mysql.PoolOptions, 'uri'>;
  /** For `postgres://`: node-pg pool options, e.g. `ssl`, `max`. */
  readonly postgres?: Omit<PgPoolConfig, 'connectionString'>;
}

interface ProjectionDatabaseBase {
  /** A store writing `groupId`'s positions. */
  store(groupId: string, options?: { readonly rowsPerStatement?: number }): ProjectionStore;
  /** The read side. */
  queries(options?: { readonly queryTimeoutMs?: number }): UploadReader;
  /** Brings the schema up to the latest migration of this database. */
  migrate(options?: MigrateOptions): Promise<MigrateResult>;
  /**
   * Resolves when the database answers.
   * @throws UnavailableError DATABASE_UNAVAILABLE when it does not.
   */
  ping(): Promise<void>;
  /** Ends the pool, once its sessions are back. */
  close(): Promise<void>;
}

/** An open projection database; `pool` for what the door does not cover. */
export type ProjectionDatabase = ProjectionDatabaseBase &
  (
    | { readonly kind: 'mysql'; readonly pool: mysql.Pool }
    | { readonly kind: 'postgres'; readonly pool: PgPool }
  );

/**
 * Opens the projection database at `url`.
 * @throws FailedPreconditionError CONFIG_INVALID when the URL is not one of the schemes above.
 */
export function openProjectionDatabase(
  url: string,
  options: ProjectionDatabaseOptions = {},
): ProjectionDatabase {
  const scheme = URL.canParse(url) ? new URL(url).protocol : '';
  if (scheme === 'mysql:') return openMysql(url, options.mysql);
  if (scheme === 'postgres:' || scheme === 'postgresql:') return openPostgres(url, options.postgres);
  throw new FailedPreconditionError(
    'CONFIG_INVALID',
    `the projection database URL ${scheme ? `has scheme ${scheme}` : 'is not a URL'}; ` +
      'use mysql://user:password@host:port/database or postgres://user:password@host:port/database',
  );
}

function openMysql(url: string, options: Omit<mysql.PoolOptions, 'uri'> = {}): ProjectionDatabase {
  const pool = mysql.createPool({ uri: url, ...options });
  return {
    kind: 'mysql',
    pool,
    store: (groupId, o = {}) => new MysqlProjectionStore({ pool, groupId, ...o }),
    queries: (o = {}) => new UploadQueries({ pool, ...o }),
    migrate: (o) => migrate(pool, o),
    ping: () => ping(() => pool.query('SELECT 1'), databaseError),
    close: () => pool.end(),
  };
}

function openPostgres(url: string, options: Omit<PgPoolConfig, 'connectionString'> = {}): ProjectionDatabase {
  const pool = new PgPool({ connectionString: url, ...options });
  // An idle session that breaks (a server restart) is dropped from the pool and the next
  // query reports the outage; unheard, the pool's 'error' event would end the process.
  pool.on('error', () => undefined);
  return {
    kind: 'postgres',
    pool,
    store: (groupId, o = {}) => new PostgresProjectionStore({ pool, groupId, ...o }),
    queries: (o = {}) => new PostgresUploadQueries({ pool, ...o }),
    migrate: (o) => migratePostgres(pool, o),
    ping: () => ping(() => pool.query('SELECT 1'), postgresError),
    close: () => pool.end(),
  };
}

async function ping(
  query: () => Promise<unknown>,
  error: (err: unknown, doing: string) => SluiceError,
): Promise<void> {
  try {
    await query();
  } catch (err) {
    throw error(err, 'answering a ping');
  }
}

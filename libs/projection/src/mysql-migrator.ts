/**
 * The migration contract (migrator.ts) on MySQL/MariaDB, from `migrations/`.
 *
 * Two instances starting at once take turns on a named lock (GET_LOCK, held by the session,
 * freed when it ends even if the process dies), and the second finds nothing left to do.
 * MySQL commits DDL as it goes, so a migration cut short is not rolled back: every statement
 * is written to be re-run (`CREATE TABLE IF NOT EXISTS`), and the version is recorded last.
 */
import { UnavailableError } from '@sluice/errors';
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import {
  applyPending,
  loadMigrations,
  lockDigest,
  statementsOf,
  type MigrateOptions,
  type MigrateResult,
  type Migration,
  type MigrationSession,
} from './migrator.ts';
import { databaseError } from './mysql-errors.ts';

/**
 * Brings the database of `pool` up to the latest migration.
 * @throws FailedPreconditionError CONFIG_INVALID when an applied migration's file changed.
 * @throws UnavailableError DATABASE_UNAVAILABLE when MySQL fails or the lock is not free in time.
 */
export async function migrate(pool: Pool, options: MigrateOptions = {}): Promise<MigrateResult> {
  const migrations = options.migrations ?? loadMigrations();
  const conn = await pool.getConnection().catch((err: unknown) => {
    throw databaseError(err, 'connecting to migrate');
  });
  try {
    const [[db]] = await conn.query<RowDataPacket[]>('SELECT DATABASE() AS name');
    const database = String(db?.['name'] ?? '');
    // GET_LOCK names are server-wide and at most 64 characters.
    const lock = `sluice-migrate-${lockDigest(database)}`;
    const timeout = options.lockTimeoutSeconds ?? 60;
    const [[got]] = await conn.query<RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS got', [lock, timeout]);
    if (got?.['got'] !== 1) {
      throw new UnavailableError(
        'DATABASE_UNAVAILABLE',
        `another process has held the migration lock of database ${database} for over ${timeout}s; ` +
          'wait for it to finish, or find the session holding it (SELECT IS_USED_LOCK(...))',
      );
    }
    try {
      return await applyPending(mysqlSession(conn), migrations);
    } finally {
      await conn.query('SELECT RELEASE_LOCK(?)', [lock]);
    }
  } catch (err) {
    throw databaseError(err, 'migrating');
  } finally {
    conn.release();
  }
}

function mysqlSession(conn: PoolConnection): MigrationSession {
  return {
    async recorded() {
      await conn.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
           version INT UNSIGNED NOT NULL PRIMARY KEY,
           name VARCHAR(255) NOT NULL,
           checksum CHAR(64) CHARACTER SET ascii NOT NULL,
           applied_at DATETIME(3) NOT NULL
         ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin`,
      );
      const [rows] = await conn.query<RowDataPacket[]>(
        'SELECT version, name, checksum FROM schema_migrations',
      );
      return new Map(
        rows.map((r) => [Number(r['version']), { name: String(r['name']), checksum: String(r['checksum']) }]),
      );
    },
    async apply(m: Migration) {
      for (const statement of statementsOf(m.sql)) await conn.query(statement);
      await conn.query(
        'INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, UTC_TIMESTAMP(3))',
        [m.version, m.name, m.checksum],
      );
    },
  };
}

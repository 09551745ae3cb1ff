/**
 * The migration contract (migrator.ts) on PostgreSQL, from `migrations/postgres/`.
 *
 * Two instances starting at once take turns on a session advisory lock
 * (`pg_advisory_lock`) whose key is derived from the database's name; the session holds it
 * until it unlocks or ends, so a process that dies frees it. PostgreSQL runs DDL in
 * transactions, so each file runs whole in one transaction with its `schema_migrations`
 * row: a migration cut short leaves nothing behind, and its statements need no
 * `IF NOT EXISTS`. The file is sent as one simple query, so the server splits it (dollar
 * quotes and comments included). What cannot run in a transaction (CREATE INDEX
 * CONCURRENTLY) does not belong in a migration.
 */
import { UnavailableError } from '@sluice/errors';
import type { Pool, PoolClient } from 'pg';
import {
  applyPending,
  loadMigrations,
  lockDigest,
  POSTGRES_MIGRATIONS_DIR,
  type MigrateOptions,
  type MigrateResult,
  type Migration,
  type MigrationSession,
} from './migrator.ts';
import { postgresError, sqlState } from './postgres-errors.ts';

/**
 * Brings the database of `pool` up to the latest PostgreSQL migration.
 * @throws FailedPreconditionError CONFIG_INVALID when an applied migration's file changed.
 * @throws UnavailableError DATABASE_UNAVAILABLE when PostgreSQL fails or the lock is not free in time.
 */
export async function migratePostgres(pool: Pool, options: MigrateOptions = {}): Promise<MigrateResult> {
  const migrations = options.migrations ?? loadMigrations(POSTGRES_MIGRATIONS_DIR);
  const client = await pool.connect().catch((err: unknown) => {
    throw postgresError(err, 'connecting to migrate');
  });
  // A session that may still hold the lock, or sits in a transaction, is not handed out again.
  let clean = false;
  try {
    const { rows } = await client.query<{ name: string }>('SELECT current_database() AS name');
    const database = rows[0]?.name ?? '';
    // Advisory lock keys are one bigint: the digest's first 64 bits.
    const key = BigInt.asIntN(64, BigInt(`0x${lockDigest(database).slice(0, 16)}`)).toString();
    const timeout = options.lockTimeoutSeconds ?? 60;
    await lock(client, key, timeout, database);
    try {
      const result = await applyPending(postgresSession(client), migrations);
      clean = true;
      return result;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [key]).catch(() => {
        clean = false;
      });
    }
  } catch (err) {
    throw postgresError(err, 'migrating');
  } finally {
    client.release(!clean);
  }
}

async function lock(
  client: PoolClient,
  key: string,
  timeoutSeconds: number,
  database: string,
): Promise<void> {
  await client.query(`SET lock_timeout = ${Math.max(1, Math.round(timeoutSeconds * 1000))}`);
  try {
    await client.query('SELECT pg_advisory_lock($1)', [key]);
  } catch (err) {
    if (sqlState(err) !== '55P03') throw err;
    throw new UnavailableError(
      'DATABASE_UNAVAILABLE',
      `another process has held the migration lock of database ${database} for over ${timeoutSeconds}s; ` +
        `wait for it to finish, or find the session holding it (pg_locks where locktype = 'advisory')`,
      { cause: err },
    );
  } finally {
    await client.query('RESET lock_timeout');
  }
}

function postgresSession(client: PoolClient): MigrationSession {
  return {
    async recorded() {
      await client.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
           version INTEGER NOT NULL PRIMARY KEY CHECK (version >= 0),
           name VARCHAR(255) NOT NULL,
           checksum VARCHAR(64) COLLATE "C" NOT NULL,
           applied_at TIMESTAMPTZ(3) NOT NULL
         )`,
      );
      const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
        'SELECT version, name, checksum FROM schema_migrations',
      );
      return new Map(rows.map((r) => [Number(r.version), { name: r.name, checksum: r.checksum }]));
    },
    async apply(m: Migration) {
      await client.query('BEGIN');
      try {
        await client.query(m.sql);
        await client.query(
          'INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, now())',
          [m.version, m.name, m.checksum],
        );
        await client.query('COMMIT');
      } catch (err) {
        // The session is dropped when this fails too (see `clean`).
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
    },
  };
}

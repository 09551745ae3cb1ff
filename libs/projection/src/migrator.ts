/**
 * Versioned schema migrations: plain `.sql` files named `NNNN_name.sql` in `migrations/`,
 * applied in version order and recorded in `schema_migrations` (version, name, SHA-256 of
 * the file, when). Files are append-only: an applied file whose text changed is an error,
 * never silently skipped or re-run.
 *
 * Two instances starting at once take turns on a named lock (GET_LOCK, held by the session,
 * freed when it ends even if the process dies), and the second finds nothing left to do.
 * MySQL commits DDL as it goes, so a migration cut short is not rolled back: every statement
 * is written to be re-run (`CREATE TABLE IF NOT EXISTS`), and the version is recorded last.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FailedPreconditionError, UnavailableError } from '@sluice/errors';
import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';
import { databaseError } from './mysql-errors.ts';

/** One migration file. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  /** SHA-256 of the file, hex. */
  readonly checksum: string;
}

/** Where this lib's migrations live (next to src/ and dist/, so both find them). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));

const FILE = /^(\d{4})_([a-z0-9_]+)\.sql$/;

/** The migrations in `dir`, in version order. */
export function loadMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  const migrations = readdirSync(dir)
    .map((file) => ({ file, match: FILE.exec(file) }))
    .filter((f): f is { file: string; match: RegExpExecArray } => f.match !== null)
    .map(({ file, match }) => {
      const sql = readFileSync(`${dir}/${file}`, 'utf8');
      return {
        version: Number(match[1]),
        name: file,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      };
    })
    .sort((a, b) => a.version - b.version);
  for (let i = 1; i < migrations.length; i++) {
    if (migrations[i]!.version === migrations[i - 1]!.version) {
      throw new FailedPreconditionError(
        'CONFIG_INVALID',
        `migrations ${migrations[i - 1]!.name} and ${migrations[i]!.name} share a version; renumber the newer one`,
      );
    }
  }
  return migrations;
}

/** The statements of a migration file: `--` comment lines dropped, split at `;` ending a line. */
export function statementsOf(sql: string): string[] {
  return sql
    .split('\n')
    .filter((line) => !line.trimStart().startsWith('--'))
    .join('\n')
    .split(/;\s*$/m)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Options of {@link migrate}. */
export interface MigrateOptions {
  /** @default loadMigrations() */
  readonly migrations?: readonly Migration[];
  /** How long to wait for another instance's migration. @default 60 */
  readonly lockTimeoutSeconds?: number;
}

/** What {@link migrate} did. */
export interface MigrateResult {
  /** Versions applied by this call. */
  readonly applied: number[];
  /** Versions recorded in the database that this code does not have (a newer release ran). */
  readonly unknown: number[];
}

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
    const lock = `sluice-migrate-${createHash('sha256').update(database).digest('hex').slice(0, 40)}`;
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
      return await applyPending(conn, migrations);
    } finally {
      await conn.query('SELECT RELEASE_LOCK(?)', [lock]);
    }
  } catch (err) {
    throw databaseError(err, 'migrating');
  } finally {
    conn.release();
  }
}

async function applyPending(conn: PoolConnection, migrations: readonly Migration[]): Promise<MigrateResult> {
  await conn.query(
    `CREATE TABLE IF NOT EXISTS schema_migrations (
       version INT UNSIGNED NOT NULL PRIMARY KEY,
       name VARCHAR(255) NOT NULL,
       checksum CHAR(64) CHARACTER SET ascii NOT NULL,
       applied_at DATETIME(3) NOT NULL
     ) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_bin`,
  );
  const [rows] = await conn.query<RowDataPacket[]>('SELECT version, name, checksum FROM schema_migrations');
  const done = new Map(
    rows.map((r) => [Number(r['version']), { name: String(r['name']), checksum: String(r['checksum']) }]),
  );
  const known = new Set(migrations.map((m) => m.version));
  const applied: number[] = [];
  for (const m of migrations) {
    const recorded = done.get(m.version);
    if (recorded) {
      if (recorded.checksum !== m.checksum) {
        throw new FailedPreconditionError(
          'CONFIG_INVALID',
          `migration ${m.name} changed after it was applied (as ${recorded.name}); ` +
            'applied migrations are never edited: restore the file and put the change in a new one',
        );
      }
      continue;
    }
    for (const statement of statementsOf(m.sql)) await conn.query(statement);
    await conn.query(
      'INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES (?, ?, ?, UTC_TIMESTAMP(3))',
      [m.version, m.name, m.checksum],
    );
    applied.push(m.version);
  }
  return { applied, unknown: [...done.keys()].filter((v) => !known.has(v)).sort((a, b) => a - b) };
}

/**
 * Versioned schema migrations, the contract both databases keep: plain `.sql` files named
 * `NNNN_name.sql`, one directory per database (`migrations/` for MySQL,
 * `migrations/postgres/` for PostgreSQL), applied in version order and recorded in
 * `schema_migrations` (version, name, SHA-256 of the file, when). Files are append-only: an
 * applied file whose text changed is an error, never silently skipped or re-run. Two
 * instances starting at once take turns on a lock held by their session, and the second
 * finds nothing left to do.
 *
 * How a file is applied and what the lock is belong to each database: mysql-migrator.ts,
 * postgres-migrator.ts.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FailedPreconditionError } from '@sluice/errors';

/** One migration file. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  /** SHA-256 of the file, hex. */
  readonly checksum: string;
}

/** Where this lib's MySQL migrations live (next to src/ and dist/, so both find them). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));

/** Where this lib's PostgreSQL migrations live. */
export const POSTGRES_MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/postgres/', import.meta.url));

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

/** Options of `migrate` (MySQL) and `migratePostgres`. */
export interface MigrateOptions {
  /** @default loadMigrations() of the database's directory */
  readonly migrations?: readonly Migration[];
  /** How long to wait for another instance's migration. @default 60 */
  readonly lockTimeoutSeconds?: number;
}

/** What a migration run did. */
export interface MigrateResult {
  /** Versions applied by this call. */
  readonly applied: number[];
  /** Versions recorded in the database that this code does not have (a newer release ran). */
  readonly unknown: number[];
}

/** A database session holding the migration lock. */
export interface MigrationSession {
  /** Creates `schema_migrations` when missing, and returns what it records by version. */
  recorded(): Promise<Map<number, { readonly name: string; readonly checksum: string }>>;
  /** Applies one migration and records it in `schema_migrations`. */
  apply(migration: Migration): Promise<void>;
}

/**
 * Applies the migrations `session` has not recorded, in version order.
 * @throws FailedPreconditionError CONFIG_INVALID when an applied migration's file changed.
 */
export async function applyPending(
  session: MigrationSession,
  migrations: readonly Migration[],
): Promise<MigrateResult> {
  const done = await session.recorded();
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
    await session.apply(m);
    applied.push(m.version);
  }
  return { applied, unknown: [...done.keys()].filter((v) => !known.has(v)).sort((a, b) => a - b) };
}

/** A lock name for `database`, the same in every process: 40 hex digits of its SHA-256. */
export function lockDigest(database: string): string {
  return createHash('sha256').update(database).digest('hex').slice(0, 40);
}

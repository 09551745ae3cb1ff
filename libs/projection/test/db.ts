import type { TestContext } from 'node:test';
import { createDatabase, createPostgresDatabase, requireServices, type TestDatabase } from '@sluice/testing';
import mysql, { type Pool, type RowDataPacket } from 'mysql2/promise';
import { Client } from 'pg';
import {
  loadMigrations,
  migrate,
  openProjectionDatabase,
  POSTGRES_MIGRATIONS_DIR,
  readPostgresProjection,
  readProjection,
  type MemoryProjection,
  type Migration,
  type ProjectionDatabase,
} from '../src/index.ts';

/** A migrated MySQL database of its own for one test, and a pool on it (closed after the test). */
export async function projectionDatabase(
  t: TestContext,
  options: { migrated?: boolean } = {},
): Promise<TestDatabase & { pool: Pool }> {
  await requireServices(['mysql']);
  const db = await createDatabase(t, { prefix: 'proj' });
  const pool = mysql.createPool({ uri: db.url, connectionLimit: 4 });
  t.after(() => pool.end());
  if (options.migrated !== false) await migrate(pool);
  return { ...db, pool };
}

/**
 * A projection database of its own for one test, opened with `openProjectionDatabase`, and
 * what the shared suites look at besides the public API, the same on every database.
 */
export interface TestProjection {
  readonly kind: ProjectionDatabase['kind'];
  readonly db: ProjectionDatabase;
  /** Another pool on the same database (closed after the test), as a second instance has. */
  open(): ProjectionDatabase;
  /** The rows of a query without parameters, as the driver gives them. */
  rows(sql: string): Promise<Record<string, unknown>[]>;
  /** Every row of uploads, chunks and parts. */
  read(): Promise<MemoryProjection>;
  /** Names of the tables, sorted. */
  tables(): Promise<string[]>;
  /** This database's migrations. */
  migrations(): Migration[];
  /** Makes another session hold `uploads` so no one reads it, until the returned function runs. */
  lockUploads(): Promise<() => Promise<void>>;
}

/** Makes a {@link TestProjection}; migrated unless told otherwise. */
export type OpenTestProjection = (
  t: TestContext,
  options?: { readonly migrated?: boolean },
) => Promise<TestProjection>;

function opener(t: TestContext, url: string): () => ProjectionDatabase {
  return () => {
    const db = openProjectionDatabase(url, {
      mysql: { connectionLimit: 4 },
      postgres: { max: 4 },
    });
    t.after(() => db.close());
    return db;
  };
}

const mysqlProjection: OpenTestProjection = async (t, options = {}) => {
  await requireServices(['mysql']);
  const created = await createDatabase(t, { prefix: 'proj' });
  const open = opener(t, created.url);
  const db = open();
  if (options.migrated !== false) await db.migrate();
  const rows = async (sql: string): Promise<Record<string, unknown>[]> =>
    (await created.connection.query<RowDataPacket[]>(sql))[0];
  return {
    kind: 'mysql',
    db,
    open,
    rows,
    read: () => readProjection(created.connection),
    tables: async () => (await rows('SHOW TABLES')).map((r) => String(Object.values(r)[0])).sort(),
    migrations: () => loadMigrations(),
    async lockUploads() {
      const holder = await mysql.createConnection({ uri: created.url });
      await holder.query('LOCK TABLES uploads WRITE');
      return async () => {
        await holder.query('UNLOCK TABLES');
        await holder.end();
      };
    },
  };
};

const postgresProjection: OpenTestProjection = async (t, options = {}) => {
  await requireServices(['postgres']);
  const created = await createPostgresDatabase(t, { prefix: 'proj' });
  const open = opener(t, created.url);
  const db = open();
  if (options.migrated !== false) await db.migrate();
  const session = async (): Promise<Client> => {
    const client = new Client({ connectionString: created.url });
    client.on('error', () => undefined);
    await client.connect();
    return client;
  };
  const client = await session();
  t.after(() => client.end());
  const rows = async (sql: string): Promise<Record<string, unknown>[]> =>
    (await client.query<Record<string, unknown>>(sql)).rows;
  return {
    kind: 'postgres',
    db,
    open,
    rows,
    read: () => readPostgresProjection(client),
    tables: async () =>
      (await rows("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")).map(
        (r) => String(r['tablename']),
      ),
    migrations: () => loadMigrations(POSTGRES_MIGRATIONS_DIR),
    async lockUploads() {
      const holder = await session();
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE uploads IN ACCESS EXCLUSIVE MODE');
      return async () => {
        await holder.query('ROLLBACK');
        await holder.end();
      };
    },
  };
};

/** Every database the shared suites run against. */
export const DATABASES: readonly { readonly name: string; readonly open: OpenTestProjection }[] = [
  { name: 'MariaDB', open: mysqlProjection },
  { name: 'PostgreSQL', open: postgresProjection },
];

/**
 * Databases a bench makes for itself on the local MariaDB and PostgreSQL servers, each one
 * migrated and dropped when the bench ends. Names are `<prefix>_<uuid>`, so runs never share
 * one; the local `sluice` role may create databases on both servers and owns what it creates,
 * so it may drop it. PostgreSQL's DROP uses FORCE: a projector killed mid-batch may leave a
 * session behind, and a plain DROP would fail on it.
 */
import { openProjectionDatabase, type ProjectionDatabase } from '@sluice/projection';
import { serviceUrl, uniqueName } from '@sluice/testing';
import mysql from 'mysql2/promise';
import { Client, escapeIdentifier } from 'pg';

/** The projection stores a bench can measure. */
export const STORES = ['mysql', 'postgres'] as const;
export type StoreName = (typeof STORES)[number];

/** A migrated database of the bench's own. */
export interface ScratchDatabase {
  /** The URL to hand to an app (`SLUICE_DATABASE_URL`). */
  readonly url: string;
  /** An open pool on it; the caller closes it. */
  readonly db: ProjectionDatabase;
}

/** Creates databases on one server and drops them all in {@link ScratchDatabases.close}. */
export class ScratchDatabases {
  readonly #store: StoreName;
  readonly #prefix: string;
  readonly #names: string[] = [];

  /** @param prefix start of each name; letters, digits and `_`, at most 30 characters. */
  constructor(store: StoreName, prefix: string) {
    this.#store = store;
    this.#prefix = prefix;
  }

  /** A fresh, migrated database, with a pool of at most `connections` sessions. */
  async create(connections = 4): Promise<ScratchDatabase> {
    const name = uniqueName(this.#prefix).replaceAll('-', '_');
    const base = serviceUrl(this.#store);
    if (this.#store === 'mysql') await withMysql(base, (c) => c.query(`CREATE DATABASE \`${name}\``));
    else await withPostgres(base, (c) => c.query(`CREATE DATABASE ${escapeIdentifier(name)}`));
    this.#names.push(name);
    const url = withDatabase(base, name);
    const db = openProjectionDatabase(url, {
      mysql: { connectionLimit: connections },
      postgres: { max: connections },
    });
    try {
      await db.migrate();
    } catch (err) {
      await db.close();
      throw err;
    }
    return { url, db };
  }

  /** Drops every database this object created; failures are ignored, as the bench is ending. */
  async close(): Promise<void> {
    const names = this.#names.splice(0);
    if (names.length === 0) return;
    const base = serviceUrl(this.#store);
    const drop = async (query: (sql: string) => Promise<unknown>): Promise<void> => {
      for (const name of names) {
        await query(
          this.#store === 'mysql'
            ? `DROP DATABASE IF EXISTS \`${name}\``
            : `DROP DATABASE IF EXISTS ${escapeIdentifier(name)} WITH (FORCE)`,
        ).catch(() => undefined);
      }
    };
    await (
      this.#store === 'mysql'
        ? withMysql(base, (c) => drop((sql) => c.query(sql)))
        : withPostgres(base, (c) => drop((sql) => c.query(sql)))
    ).catch(() => undefined);
  }
}

async function withMysql(url: string, work: (c: mysql.Connection) => Promise<unknown>): Promise<void> {
  const connection = await mysql.createConnection({ uri: url });
  try {
    await work(connection);
  } finally {
    await connection.end();
  }
}

async function withPostgres(url: string, work: (c: Client) => Promise<unknown>): Promise<void> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

function withDatabase(base: string, name: string): string {
  const url = new URL(base);
  url.pathname = `/${name}`;
  return url.toString();
}

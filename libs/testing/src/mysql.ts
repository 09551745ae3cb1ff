/**
 * MySQL for tests: a database that belongs to one test, dropped when the test ends.
 * The local `sluice` user may create and drop databases (see infra/local's MariaDB setup
 * and infra/compose's init script).
 */
import mysql from 'mysql2/promise';
import { serviceUrl } from './endpoints.ts';
import { uniqueName, type AfterHook } from './names.ts';

/** A database made for one test. */
export interface TestDatabase {
  /** The database's name: letters, digits and `_`. */
  readonly database: string;
  /** `SLUICE_MYSQL_URL` pointed at this database, for code under test. */
  readonly url: string;
  /** A connection to this database, closed after the test. */
  readonly connection: mysql.Connection;
}

/** Creates a uniquely named database, and drops it after the test. */
export async function createDatabase(
  t: AfterHook,
  options: { readonly prefix?: string } = {},
): Promise<TestDatabase> {
  const database = uniqueName(options.prefix ?? 'test').replaceAll('-', '_');
  const base = new URL(serviceUrl('mysql'));
  const admin = await mysql.createConnection({ uri: withDatabase(base, '') });
  try {
    await admin.query(`CREATE DATABASE \`${database}\``);
  } finally {
    await admin.end();
  }
  const url = withDatabase(base, database);
  const connection = await mysql.createConnection({ uri: url });
  t.after(async () => {
    await connection.end().catch(() => connection.destroy());
    const cleanup = await mysql.createConnection({ uri: withDatabase(base, '') });
    try {
      await cleanup.query(`DROP DATABASE IF EXISTS \`${database}\``);
    } finally {
      await cleanup.end();
    }
  });
  return { database, url, connection };
}

function withDatabase(base: URL, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

/**
 * PostgreSQL for tests: a database that belongs to one test, dropped when the test ends.
 * The local `sluice` role may create databases (CREATEDB; see infra/local's PostgreSQL
 * setup and infra/compose's init script) and owns each one it creates, so it may drop it.
 */
import { Client, escapeIdentifier } from 'pg';
import { serviceUrl } from './endpoints.ts';
import { uniqueName, type AfterHook } from './names.ts';

/** A PostgreSQL database made for one test. */
export interface TestPostgresDatabase {
  /** The database's name: letters, digits and `_`, at most 63 bytes. */
  readonly name: string;
  /** `SLUICE_POSTGRES_URL` pointed at this database, for code under test. */
  readonly url: string;
}

// PostgreSQL cuts longer identifiers short with only a notice; the URL would then name a
// database that does not exist.
const MAX_NAME_BYTES = 63;

/**
 * Creates a uniquely named database on the configured PostgreSQL (`SLUICE_POSTGRES_URL`),
 * and drops it after the test, ending any session still connected to it.
 */
export async function createPostgresDatabase(
  t: AfterHook,
  options: {
    /** Start of the name; at most 30 characters. @default 'test' */
    readonly prefix?: string;
  } = {},
): Promise<TestPostgresDatabase> {
  const prefix = options.prefix ?? 'test';
  const name = uniqueName(prefix).replaceAll('-', '_');
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) {
    throw new Error(
      `the prefix "${prefix}" makes the database name ${name} longer than PostgreSQL's ` +
        `${MAX_NAME_BYTES} bytes: use a prefix of at most 30 characters`,
    );
  }
  const base = serviceUrl('postgres');
  await withClient(base, (client) => client.query(`CREATE DATABASE ${escapeIdentifier(name)}`));
  t.after(() =>
    // FORCE ends the sessions code under test left open; a plain DROP would fail on them.
    withClient(base, (client) =>
      client.query(`DROP DATABASE IF EXISTS ${escapeIdentifier(name)} WITH (FORCE)`),
    ),
  );
  return { name, url: withDatabase(base, name) };
}

async function withClient(url: string, work: (client: Client) => Promise<unknown>): Promise<void> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await work(client);
  } finally {
    await client.end();
  }
}

function withDatabase(base: string, database: string): string {
  const url = new URL(base);
  url.pathname = `/${database}`;
  return url.toString();
}

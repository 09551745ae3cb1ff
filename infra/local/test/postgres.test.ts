import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { Client, type ClientConfig } from 'pg';
import { LOCAL_DEFAULTS } from '@sluice/config';
import { createPostgresDatabase, requireServices, serviceEndpoint, serviceUrl } from '@sluice/testing';

before(() => requireServices(['postgres']));

async function withClient<T>(config: ClientConfig, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionTimeoutMillis: 3000, ...config });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

test('a table is created, written and read back in a database of its own', async (t) => {
  const { name, url } = await createPostgresDatabase(t);
  const rows = await withClient({ connectionString: url }, async (client) => {
    await client.query(
      'CREATE TABLE uploads (upload_id UUID PRIMARY KEY, size_bytes BIGINT NOT NULL, state TEXT NOT NULL)',
    );
    await client.query('INSERT INTO uploads VALUES ($1, $2, $3), ($4, $5, $6)', [
      '00000000-0000-0000-0000-000000000001',
      5 * 1024 * 1024 * 1024,
      'completed',
      '00000000-0000-0000-0000-000000000002',
      1,
      'staging',
    ]);
    const [current] = (await client.query<{ db: string }>('SELECT current_database() AS db')).rows;
    assert.equal(current?.db, name);
    const read = await client.query<{ upload_id: string; size_bytes: string; state: string }>(
      'SELECT upload_id, size_bytes, state FROM uploads ORDER BY upload_id',
    );
    return read.rows;
  });
  // BIGINT comes back as a string: it may exceed what a JavaScript number holds exactly.
  assert.deepEqual(rows, [
    { upload_id: '00000000-0000-0000-0000-000000000001', size_bytes: '5368709120', state: 'completed' },
    { upload_id: '00000000-0000-0000-0000-000000000002', size_bytes: '1', state: 'staging' },
  ]);
});

test('the app user owns the sluice database and may create databases, but is no superuser', async () => {
  const found = await withClient({ connectionString: serviceUrl('postgres') }, async (client) => {
    const role = await client.query<{ rolsuper: boolean; rolcreatedb: boolean }>(
      'SELECT rolsuper, rolcreatedb FROM pg_roles WHERE rolname = current_user',
    );
    const owner = await client.query<{ owner: string }>(
      'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = current_database()',
    );
    const listen = await client.query<{ listen_addresses: string }>('SHOW listen_addresses');
    return { role: role.rows[0], owner: owner.rows[0]?.owner, listen: listen.rows[0]?.listen_addresses };
  });
  assert.deepEqual(found, {
    role: { rolsuper: false, rolcreatedb: true },
    owner: LOCAL_DEFAULTS.postgresUser,
    listen: '127.0.0.1',
  });
});

test('over TCP every login needs the right password, so the superuser, which has none, cannot log in', async () => {
  const { host, port } = serviceEndpoint('postgres');
  for (const user of ['postgres', LOCAL_DEFAULTS.postgresUser]) {
    await assert.rejects(
      withClient({ host, port, user, password: 'not-the-password', database: 'postgres' }, () =>
        Promise.resolve(),
      ),
      (error: { code?: string }) => error.code === '28P01',
      `${user} with a wrong password is refused (password authentication failed)`,
    );
  }
});

import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { Client } from 'pg';
import { requireServices } from '../src/health.ts';
import { serviceUrl } from '../src/endpoints.ts';
import { createPostgresDatabase, type TestPostgresDatabase } from '../src/postgres.ts';

before(() => requireServices(['postgres']));

test('a database of its own, at its URL, dropped after the test even with a session left open', async (t) => {
  let made: TestPostgresDatabase | undefined;
  let left: Client | undefined;
  await t.test('uses the database', async (inner) => {
    made = await createPostgresDatabase(inner, { prefix: 'pgtest' });
    assert.match(made.name, /^pgtest_[0-9a-f]{32}$/);
    assert.equal(new URL(made.url).pathname, `/${made.name}`);
    left = new Client({ connectionString: made.url });
    left.on('error', () => undefined);
    await left.connect();
    const { rows } = await left.query<{ db: string }>('SELECT current_database() AS db');
    assert.equal(rows[0]?.db, made.name);
  });
  await left?.end().catch(() => undefined);
  assert.ok(made !== undefined);
  const admin = new Client({ connectionString: serviceUrl('postgres') });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [made.name]);
    assert.equal(rowCount, 0, `${made.name} should be dropped once its test ended`);
  } finally {
    await admin.end();
  }
});

test('two databases never share a name', async (t) => {
  const [a, b] = await Promise.all([createPostgresDatabase(t), createPostgresDatabase(t)]);
  assert.notEqual(a.name, b.name);
});

test('a prefix that would make the name longer than PostgreSQL keeps is refused', async (t) => {
  await assert.rejects(createPostgresDatabase(t, { prefix: 'p'.repeat(31) }), /at most 30 characters/);
  assert.match((await createPostgresDatabase(t, { prefix: 'p'.repeat(30) })).name, /^p{30}_/);
});

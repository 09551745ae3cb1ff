import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { SluiceError } from '@sluice/errors';
import { loadMigrations, POSTGRES_MIGRATIONS_DIR, statementsOf, type Migration } from '../src/index.ts';
import { DATABASES, type OpenTestProjection } from './db.ts';

function migration(version: number, sql: string): Migration {
  return {
    version,
    name: `${String(version).padStart(4, '0')}_test.sql`,
    sql,
    checksum: createHash('sha256').update(sql).digest('hex'),
  };
}

const TABLES = ['chunks', 'consumer_offsets', 'parts', 'rejected_events', 'schema_migrations', 'uploads'];

/** The migration contract every database keeps. */
function shouldMigrate(open: OpenTestProjection): void {
  it('applies the migrations once, and is a no-op when run again', async (t) => {
    const db = await open(t, { migrated: false });
    const first = await db.db.migrate();
    assert.deepEqual(
      first.applied,
      db.migrations().map((m) => m.version),
    );
    assert.deepEqual(await db.tables(), TABLES);
    const again = await db.db.migrate();
    assert.deepEqual(again, { applied: [], unknown: [] });
    const rows = await db.rows('SELECT version, checksum FROM schema_migrations ORDER BY version');
    assert.deepEqual(
      rows.map((r) => [Number(r['version']), String(r['checksum'])]),
      db.migrations().map((m) => [m.version, m.checksum]),
    );
  });

  it('lets two instances starting at once apply each migration exactly once', async (t) => {
    const db = await open(t, { migrated: false });
    const other = db.open();
    // 0002 would fail if it ran twice (no IF NOT EXISTS), so a double run cannot go unnoticed.
    const migrations = [...db.migrations(), migration(2, 'CREATE TABLE twice (id INT PRIMARY KEY)')];
    const results = await Promise.all([db.db.migrate({ migrations }), other.migrate({ migrations })]);
    const applied = results.map((r) => r.applied).sort((a, b) => b.length - a.length);
    assert.deepEqual(applied, [[1, 2], []]);
  });

  it('applies a new migration after the ones already applied, and reports versions it does not know', async (t) => {
    const db = await open(t);
    const added = migration(
      2,
      '-- a comment\nCREATE TABLE extra (id INT PRIMARY KEY);\nINSERT INTO extra VALUES (1);\n',
    );
    assert.deepEqual((await db.db.migrate({ migrations: [...db.migrations(), added] })).applied, [2]);
    assert.equal((await db.rows('SELECT id FROM extra')).length, 1);
    // An older release starting against the newer schema carries on.
    assert.deepEqual(await db.db.migrate(), { applied: [], unknown: [2] });
  });

  it('refuses to run when an applied migration was edited', async (t) => {
    const db = await open(t);
    const [original] = db.migrations();
    const edited = { ...original!, checksum: '0'.repeat(64) };
    await assert.rejects(db.db.migrate({ migrations: [edited] }), (err: unknown) => {
      assert.ok(err instanceof SluiceError);
      assert.equal(err.code, 'CONFIG_INVALID');
      assert.match(err.message, /changed after it was applied/);
      return true;
    });
  });
}

for (const { name, open } of DATABASES) {
  describe(`migrations on ${name}`, () => shouldMigrate(open));
}

describe('migrations on PostgreSQL', () => {
  const postgres = DATABASES.find((d) => d.name === 'PostgreSQL')!;

  it('rolls a failing migration back whole, and applies it once it is fixed', async (t) => {
    const db = await postgres.open(t);
    const broken = migration(2, 'CREATE TABLE half (id INT PRIMARY KEY);\nSELECT 1 / 0;\n');
    await assert.rejects(db.db.migrate({ migrations: [...db.migrations(), broken] }), SluiceError);
    assert.deepEqual(await db.tables(), TABLES);
    const fixed = migration(2, 'CREATE TABLE half (id INT PRIMARY KEY);\n');
    assert.deepEqual((await db.db.migrate({ migrations: [...db.migrations(), fixed] })).applied, [2]);
  });

  it('compares every text column as bytes, whatever the database collates by default', async (t) => {
    const db = await postgres.open(t);
    const columns = await db.rows(
      `SELECT table_name, column_name, collation_name FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name <> 'schema_migrations'
         AND data_type IN ('text', 'character varying', 'character')`,
    );
    assert.equal(columns.length, 36);
    assert.deepEqual(
      columns.filter((c) => c['collation_name'] !== 'C'),
      [],
    );
  });
});

describe('loadMigrations', () => {
  it('keeps the MySQL files where they were, as they were, and the PostgreSQL ones apart', () => {
    // Applied migrations are never edited: this is the checksum databases have recorded.
    assert.deepEqual(
      loadMigrations().map((m) => [m.version, m.name, m.checksum]),
      [[1, '0001_initial.sql', 'c46fcdfe2a90608ee70cafc28bd3ac7627a207011cb11e541f4c8d21667442f8']],
    );
    assert.deepEqual(
      loadMigrations(POSTGRES_MIGRATIONS_DIR).map((m) => [m.version, m.name]),
      [[1, '0001_initial.sql']],
    );
  });
});

describe('statementsOf', () => {
  it('drops comment lines and splits at semicolons that end a line', () => {
    assert.deepEqual(statementsOf("-- x;\nCREATE TABLE a (b TEXT DEFAULT 'x;y');\n\nSELECT 1;\n"), [
      "CREATE TABLE a (b TEXT DEFAULT 'x;y')",
      'SELECT 1',
    ]);
  });
});

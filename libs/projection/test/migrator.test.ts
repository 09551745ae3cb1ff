import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { SluiceError } from '@sluice/errors';
import mysql, { type RowDataPacket } from 'mysql2/promise';
import { loadMigrations, migrate, statementsOf, type Migration } from '../src/index.ts';
import { projectionDatabase } from './db.ts';

function migration(version: number, sql: string): Migration {
  return {
    version,
    name: `${String(version).padStart(4, '0')}_test.sql`,
    sql,
    checksum: createHash('sha256').update(sql).digest('hex'),
  };
}

async function tables(db: { connection: mysql.Connection }): Promise<string[]> {
  const [rows] = await db.connection.query<RowDataPacket[]>('SHOW TABLES');
  return rows.map((r) => String(Object.values(r)[0])).sort();
}

describe('migrate', () => {
  it('applies the migrations once, and is a no-op when run again', async (t) => {
    const db = await projectionDatabase(t, { migrated: false });
    const first = await migrate(db.pool);
    assert.deepEqual(
      first.applied,
      loadMigrations().map((m) => m.version),
    );
    assert.deepEqual(await tables(db), [
      'chunks',
      'consumer_offsets',
      'parts',
      'rejected_events',
      'schema_migrations',
      'uploads',
    ]);
    const again = await migrate(db.pool);
    assert.deepEqual(again, { applied: [], unknown: [] });
    const [rows] = await db.connection.query<RowDataPacket[]>(
      'SELECT version, checksum FROM schema_migrations',
    );
    assert.deepEqual(
      rows.map((r) => [Number(r['version']), String(r['checksum'])]),
      loadMigrations().map((m) => [m.version, m.checksum]),
    );
  });

  it('lets two instances starting at once apply each migration exactly once', async (t) => {
    const db = await projectionDatabase(t, { migrated: false });
    const other = mysql.createPool({ uri: db.url, connectionLimit: 2 });
    t.after(() => other.end());
    // 0002 would fail if it ran twice (no IF NOT EXISTS), so a double run cannot go unnoticed.
    const migrations = [...loadMigrations(), migration(2, 'CREATE TABLE twice (id INT PRIMARY KEY)')];
    const results = await Promise.all([migrate(db.pool, { migrations }), migrate(other, { migrations })]);
    const applied = results.map((r) => r.applied).sort((a, b) => b.length - a.length);
    assert.deepEqual(applied, [[1, 2], []]);
  });

  it('applies a new migration after the ones already applied, and reports versions it does not know', async (t) => {
    const db = await projectionDatabase(t);
    const added = migration(
      2,
      '-- a comment\nCREATE TABLE extra (id INT PRIMARY KEY);\nINSERT INTO extra VALUES (1);\n',
    );
    assert.deepEqual((await migrate(db.pool, { migrations: [...loadMigrations(), added] })).applied, [2]);
    const [rows] = await db.connection.query<RowDataPacket[]>('SELECT id FROM extra');
    assert.equal(rows.length, 1);
    // An older release starting against the newer schema carries on.
    assert.deepEqual(await migrate(db.pool), { applied: [], unknown: [2] });
  });

  it('refuses to run when an applied migration was edited', async (t) => {
    const db = await projectionDatabase(t);
    const [original] = loadMigrations();
    const edited = { ...original!, checksum: '0'.repeat(64) };
    await assert.rejects(migrate(db.pool, { migrations: [edited] }), (err: unknown) => {
      assert.ok(err instanceof SluiceError);
      assert.equal(err.code, 'CONFIG_INVALID');
      assert.match(err.message, /changed after it was applied/);
      return true;
    });
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

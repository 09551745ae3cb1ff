import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import type { RowDataPacket } from 'mysql2/promise';
import { createDatabase, requireServices } from '@sluice/testing';

before(() => requireServices(['mysql']));

test('a table is created, written and read back in a database of its own', async (t) => {
  const { connection, database } = await createDatabase(t);
  await connection.query(
    'CREATE TABLE uploads (upload_id CHAR(36) PRIMARY KEY, size_bytes BIGINT NOT NULL, state VARCHAR(16) NOT NULL)',
  );
  await connection.execute('INSERT INTO uploads VALUES (?, ?, ?), (?, ?, ?)', [
    '00000000-0000-0000-0000-000000000001',
    5 * 1024 * 1024 * 1024,
    'completed',
    '00000000-0000-0000-0000-000000000002',
    1,
    'staging',
  ]);
  const [rows] = await connection.query<RowDataPacket[]>(
    'SELECT upload_id, size_bytes, state FROM uploads ORDER BY upload_id',
  );
  assert.deepEqual(
    rows.map((row) => ({ ...row })),
    [
      {
        upload_id: '00000000-0000-0000-0000-000000000001',
        size_bytes: 5 * 1024 * 1024 * 1024,
        state: 'completed',
      },
      { upload_id: '00000000-0000-0000-0000-000000000002', size_bytes: 1, state: 'staging' },
    ],
  );
  const [[current]] = await connection.query<RowDataPacket[]>('SELECT DATABASE() AS db');
  assert.equal(current?.db, database);
});

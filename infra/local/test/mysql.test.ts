import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import mysql, { type RowDataPacket } from 'mysql2/promise';
import { mysqlSsl } from '@sluice/startup';
import { createDatabase, makeTlsFiles, requireServices, serviceUrl } from '@sluice/testing';
import { infraPaths } from '../src/paths.ts';
import { serviceTlsFiles } from '../src/service-tls.ts';

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

test('serves TLS to a client that trusts its CA (SLUICE_MYSQL_TLS_CA), and refuses one that does not', async (t) => {
  const files = serviceTlsFiles(infraPaths().service('mysql').dir);
  const connect = async (config: Parameters<typeof mysqlSsl>[0]): Promise<string> => {
    const connection = await mysql.createConnection({
      uri: serviceUrl('mysql'),
      connectTimeout: 3000,
      ...mysqlSsl(config),
    });
    try {
      const [[row]] = await connection.query<RowDataPacket[]>("SHOW SESSION STATUS LIKE 'Ssl_cipher'");
      return String(row?.['Value'] ?? '');
    } finally {
      await connection.end();
    }
  };
  const none = { SLUICE_MYSQL_TLS_CA: '', SLUICE_MYSQL_TLS_CERT: '', SLUICE_MYSQL_TLS_KEY: '' };
  assert.notEqual(
    await connect({ ...none, SLUICE_MYSQL_TLS_CA: files.ca }),
    '',
    'a TLS session with a cipher',
  );
  assert.notEqual(
    await connect({
      SLUICE_MYSQL_TLS_CA: files.ca,
      SLUICE_MYSQL_TLS_CERT: files.clientCert,
      SLUICE_MYSQL_TLS_KEY: files.clientKey,
    }),
    '',
    'with a client certificate too',
  );
  assert.equal(await connect(none), '', 'plaintext without the variables');
  const other = makeTlsFiles(t, 'other');
  await assert.rejects(
    connect({ ...none, SLUICE_MYSQL_TLS_CA: other.ca }),
    'a server certificate another CA signed is refused',
  );
});

import type { TestContext } from 'node:test';
import { createDatabase, requireServices, type TestDatabase } from '@sluice/testing';
import mysql, { type Pool } from 'mysql2/promise';
import { migrate } from '../src/index.ts';

/** A migrated database of its own for one test, and a pool on it (closed after the test). */
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

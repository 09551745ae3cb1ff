import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SluiceError } from '@sluice/errors';
import { freePort } from '@sluice/testing';
import { openProjectionDatabase } from '../src/index.ts';
import { DATABASES } from './db.ts';

describe('openProjectionDatabase', () => {
  it('refuses a URL of another scheme, or none, without repeating its password', () => {
    for (const url of ['redis://u:secret@h/0', 'not a url', 'mariadb://u:secret@h/db']) {
      assert.throws(
        () => openProjectionDatabase(url),
        (err: unknown) =>
          err instanceof SluiceError && err.code === 'CONFIG_INVALID' && !err.message.includes('secret'),
      );
    }
  });

  it('picks the database by scheme, and reports one that does not answer as DATABASE_UNAVAILABLE', async (t) => {
    const port = await freePort();
    for (const [url, kind] of [
      [`mysql://u:p@127.0.0.1:${port}/db`, 'mysql'],
      [`postgres://u:p@127.0.0.1:${port}/db`, 'postgres'],
      [`postgresql://u:p@127.0.0.1:${port}/db`, 'postgres'],
    ] as const) {
      const db = openProjectionDatabase(url);
      t.after(() => db.close());
      assert.equal(db.kind, kind);
      await assert.rejects(
        db.ping(),
        (err: unknown) => err instanceof SluiceError && err.code === 'DATABASE_UNAVAILABLE' && err.retriable,
      );
    }
  });

  for (const { name, open } of DATABASES) {
    it(`answers a ping on ${name}`, async (t) => {
      const db = await open(t, { migrated: false });
      await db.db.ping();
    });
  }
});

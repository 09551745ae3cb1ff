import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SluiceError } from '@sluice/errors';
import { DatabaseError } from 'pg';
import { isPostgresConflict, isPostgresDataError, postgresError } from '../src/index.ts';

function serverError(code: string): DatabaseError {
  const err = new DatabaseError(`server says ${code}`, 0, 'error');
  err.code = code;
  return err;
}

describe('postgresError', () => {
  it('makes refused values INTERNAL and not retriable', () => {
    for (const code of ['22001', '22003', '22021', '22P02', '23502', '23514']) {
      const err = postgresError(serverError(code), 'writing');
      assert.equal(isPostgresDataError(serverError(code)), true, code);
      assert.deepEqual([err.code, err.retriable, err.details['sqlstate']], ['INTERNAL', false, code]);
      assert.match(err.message, /^PostgreSQL refused the values while writing: server says/);
    }
  });

  it('makes conflicts, outages and everything else DATABASE_UNAVAILABLE and retriable', () => {
    for (const code of ['40001', '40P01', '55P03']) assert.equal(isPostgresConflict(serverError(code)), true);
    const lost = Object.assign(new Error('read ECONNRESET'), { code: 'EPIPE' });
    for (const err of [serverError('40P01'), serverError('57014'), serverError('23505'), lost]) {
      const e = postgresError(err, 'reading');
      assert.deepEqual([e.code, e.retriable], ['DATABASE_UNAVAILABLE', true]);
      assert.match(e.message, /^PostgreSQL failed while reading/);
    }
    assert.equal(isPostgresDataError(lost), false);
  });

  it('passes a SluiceError through', () => {
    const err = postgresError(serverError('22001'), 'x');
    assert.equal(postgresError(err, 'y'), err);
    assert.ok(err instanceof SluiceError);
  });
});

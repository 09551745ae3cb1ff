import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CancelledError,
  FailedPreconditionError,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
  SluiceError,
  UnauthenticatedError,
  UnavailableError,
} from '@sluice/errors';
import { EXIT, exitCodeOf, hintFor, UsageError } from '../../src/cli/exit-codes.ts';

describe('exitCodeOf', () => {
  it('gives each kind of failure its status', () => {
    const cases: Array<[SluiceError, number]> = [
      [new UsageError('bad flag'), EXIT.USAGE],
      [new UnavailableError('SERVER_UNAVAILABLE', 'down'), EXIT.UNAVAILABLE],
      [new UnavailableError('EVENTS_UNAVAILABLE', 'kafka down'), EXIT.UNAVAILABLE],
      [new ResourceExhaustedError('STAGING_FULL', 'full', { retriable: false }), EXIT.UNAVAILABLE],
      [new ResourceExhaustedError('CHUNK_TOO_LARGE', 'too big'), EXIT.FAILED],
      [new UnauthenticatedError('bad key'), EXIT.AUTH],
      [new PermissionDeniedError('not yours'), EXIT.AUTH],
      [new NotFoundError('FILE_NOT_FOUND', 'no file'), EXIT.NOT_FOUND],
      [new NotFoundError('DRIVE_NOT_FOUND', 'no drive'), EXIT.NOT_FOUND],
      [new NotFoundError('UPLOAD_NOT_FOUND', 'no upload'), EXIT.NOT_FOUND],
      [new FailedPreconditionError('UPLOAD_ABORTED', 'aborted'), EXIT.ABORTED],
      [new FailedPreconditionError('UPLOAD_EXPIRED', 'expired'), EXIT.ABORTED],
      [new FailedPreconditionError('UPLOAD_FAILED', 'failed'), EXIT.FAILED],
      [new CancelledError('Ctrl-C'), EXIT.INTERRUPTED],
      [new SluiceError('INTERNAL', 'bug'), EXIT.FAILED],
    ];
    for (const [error, code] of cases) assert.equal(exitCodeOf(error), code, error.code);
  });

  it('adds a hint where the message alone does not say what to do', () => {
    const server = { server: 'h:1' };
    assert.match(
      hintFor(new UnavailableError('SERVER_UNAVAILABLE', 'x'), server) ?? '',
      /h:1: set it with --server or SLUICE_SERVER/,
    );
    assert.match(
      hintFor(new UnauthenticatedError('the API key is not known'), server) ?? '',
      /--api-key or SLUICE_API_KEY/,
    );
    assert.equal(hintFor(new UnauthenticatedError('no API key: set SLUICE_API_KEY'), server), undefined);
    assert.match(hintFor(new CancelledError('x'), server) ?? '', /resume/);
    assert.equal(hintFor(new NotFoundError('FILE_NOT_FOUND', 'x'), server), undefined);
  });
});

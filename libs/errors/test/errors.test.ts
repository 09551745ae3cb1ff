import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ERROR_CATALOGUE,
  ERROR_CODES,
  GRPC_STATUS,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
  SluiceError,
  UnavailableError,
  toSluiceError,
} from '../src/index.ts';

describe('error catalogue', () => {
  it('maps every code to a known gRPC status and an HTTP error status', () => {
    for (const code of ERROR_CODES) {
      const spec = ERROR_CATALOGUE[code];
      assert.ok(spec.grpc in GRPC_STATUS, code);
      assert.ok(spec.http >= 400 && spec.http < 600, code);
      assert.match(code, /^[A-Z][A-Z0-9_]+$/);
    }
  });

  it('gives subclasses the status of their kind', () => {
    const e = new NotFoundError('UPLOAD_NOT_FOUND', 'upload u1 does not exist');
    assert.equal(e.grpcStatus, GRPC_STATUS.NOT_FOUND);
    assert.equal(e.httpStatus, 404);
    assert.equal(e.name, 'NotFoundError');
    assert.ok(e instanceof SluiceError && e instanceof Error);
  });

  it('keeps retriable from the catalogue unless told otherwise', () => {
    assert.equal(new UnavailableError('STORAGE_UNAVAILABLE', 's3 503').retriable, true);
    assert.equal(
      new UnavailableError('STORAGE_UNAVAILABLE', 's3 503', { retriable: false }).retriable,
      false,
    );
    assert.equal(new InvalidArgumentError('bad').retriable, false);
  });

  it('carries a retry hint on resource exhaustion', () => {
    const e = new ResourceExhaustedError('STAGING_FULL', 'Redis is above its high watermark', {
      retryAfterMs: 250,
    });
    assert.equal(e.retryAfterMs, 250);
    assert.equal(e.grpcStatus, GRPC_STATUS.RESOURCE_EXHAUSTED);
    assert.deepEqual(Object.keys(e.toJSON()), ['code', 'message', 'retriable', 'details']);
  });

  it('wraps foreign errors as INTERNAL, keeping the cause', () => {
    const cause = new TypeError('boom');
    const e = toSluiceError(cause);
    assert.equal(e.code, 'INTERNAL');
    assert.equal(e.cause, cause);
    const same = new InvalidArgumentError('x');
    assert.equal(toSluiceError(same), same);
  });
});

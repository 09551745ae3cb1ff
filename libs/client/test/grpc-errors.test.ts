import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { ResourceExhaustedError } from '@sluice/errors';
import { fromServiceError, isServiceError, pushbackMs } from '../src/grpc-errors.ts';

function serviceError(code: status, details: string, trailers: Record<string, string> = {}): ServiceError {
  const metadata = new Metadata();
  for (const [k, v] of Object.entries(trailers)) metadata.set(k, v);
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata });
}

const context = { call: 'UploadChunk 4', server: '10.0.0.1:50051' };

describe('fromServiceError', () => {
  it("keeps the server's code and message, and its pushback on back-pressure", () => {
    const e = fromServiceError(
      serviceError(status.RESOURCE_EXHAUSTED, 'staging is above its high watermark', {
        'sluice-error-code': 'STAGING_FULL',
        'grpc-retry-pushback-ms': '250',
      }),
      context,
    );
    assert.ok(e instanceof ResourceExhaustedError);
    assert.equal(e.code, 'STAGING_FULL');
    assert.equal(e.retryAfterMs, 250);
    assert.equal(e.retriable, true);
    assert.equal(e.message, 'staging is above its high watermark');

    const missing = fromServiceError(
      serviceError(status.NOT_FOUND, 'upload "u" does not exist', {
        'sluice-error-code': 'UPLOAD_NOT_FOUND',
      }),
      context,
    );
    assert.equal(missing.code, 'UPLOAD_NOT_FOUND');
    assert.equal(missing.retriable, false);
  });

  it('names the server when nothing answers, and makes that retriable', () => {
    const e = fromServiceError(serviceError(status.UNAVAILABLE, 'No connection established'), context);
    assert.equal(e.code, 'SERVER_UNAVAILABLE');
    assert.equal(e.retriable, true);
    assert.match(
      e.message,
      /cannot reach the Sluice server at 10\.0\.0\.1:50051 \(No connection established\)/,
    );
    assert.equal(fromServiceError(serviceError(status.DEADLINE_EXCEEDED, ''), context).retriable, true);
  });

  it('gives transport refusals a code of their own', () => {
    assert.equal(
      fromServiceError(serviceError(status.UNAUTHENTICATED, 'no'), context).code,
      'UNAUTHENTICATED',
    );
    assert.equal(
      fromServiceError(serviceError(status.UNIMPLEMENTED, ''), context).code,
      'CALL_UNIMPLEMENTED',
    );
    const tooBig = fromServiceError(
      serviceError(status.RESOURCE_EXHAUSTED, 'Received message larger than max'),
      context,
    );
    assert.equal(tooBig.code, 'CHUNK_TOO_LARGE');
    assert.equal(tooBig.retriable, false, 'only a smaller chunk helps');
  });

  it('falls back on the status for a code this client does not know', () => {
    const e = fromServiceError(
      serviceError(status.INTERNAL, 'boom', { 'sluice-error-code': 'FROM_THE_FUTURE' }),
      context,
    );
    assert.equal(e.code, 'INTERNAL');
    assert.match(
      e.message,
      /UploadChunk 4 failed on 10\.0\.0\.1:50051 with gRPC status INTERNAL \(boom\) \[FROM_THE_FUTURE\]/,
    );
  });
});

describe('pushbackMs', () => {
  it('reads a positive whole number of ms, and treats anything else as none', () => {
    assert.equal(
      pushbackMs(serviceError(status.RESOURCE_EXHAUSTED, '', { 'grpc-retry-pushback-ms': '1500' })),
      1500,
    );
    for (const bad of ['-1', 'soon', '1.5', '']) {
      assert.equal(
        pushbackMs(serviceError(status.RESOURCE_EXHAUSTED, '', { 'grpc-retry-pushback-ms': bad })),
        0,
        bad,
      );
    }
    assert.equal(pushbackMs(serviceError(status.RESOURCE_EXHAUSTED, '')), 0);
  });
});

describe('isServiceError', () => {
  it('tells grpc-js errors from others', () => {
    assert.equal(isServiceError(serviceError(status.UNKNOWN, 'x')), true);
    assert.equal(isServiceError(new Error('x')), false);
    assert.equal(isServiceError({ code: 1, details: 'x' }), false);
  });
});

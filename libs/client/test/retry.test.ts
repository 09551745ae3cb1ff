import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CancelledError,
  InvalidArgumentError,
  ResourceExhaustedError,
  UnavailableError,
} from '@sluice/errors';
import { RETRY_POLICIES } from '@sluice/retry';
import { backoffDelay } from '../src/index.ts';
import { withRetry, type RetryNotice } from '../src/retry.ts';

const fast = { initialDelayMs: 1, maxDelayMs: 4 };
const unavailable = () => new UnavailableError('SERVER_UNAVAILABLE', 'down');
const full = (retryAfterMs: number) => new ResourceExhaustedError('STAGING_FULL', 'full', { retryAfterMs });

describe('backoffDelay', () => {
  it('doubles up to the cap, with half of each delay random', () => {
    const options = { ...RETRY_POLICIES.client, baseMs: 100, capMs: 1000 };
    assert.equal(backoffDelay(1, options, { random: () => 0 }), 50);
    assert.equal(backoffDelay(1, options, { random: () => 1 }), 100);
    assert.equal(backoffDelay(3, options, { random: () => 1 }), 400);
    assert.equal(backoffDelay(30, options, { random: () => 1 }), 1000);
    assert.equal(backoffDelay(30, options, { random: () => 0 }), 500);
  });

  it('never goes below the server pushback, even with a smaller cap', () => {
    assert.equal(
      backoffDelay(
        1,
        { ...RETRY_POLICIES.client, baseMs: 10, capMs: 100 },
        { pushbackMs: 700, random: () => 0 },
      ),
      700,
    );
    assert.equal(
      backoffDelay(
        5,
        { ...RETRY_POLICIES.client, baseMs: 10, capMs: 100 },
        { pushbackMs: 700, random: () => 1 },
      ),
      700,
    );
  });
});

describe('withRetry', () => {
  it('retries retriable failures until one attempt succeeds', async () => {
    const notices: RetryNotice[] = [];
    let calls = 0;
    const value = await withRetry(
      'op',
      () => (++calls < 3 ? Promise.reject(unavailable()) : Promise.resolve('ok')),
      { retry: fast, onRetry: (n) => notices.push(n) },
    );
    assert.equal(value, 'ok');
    assert.equal(calls, 3);
    assert.deepEqual(
      notices.map((n) => [n.attempt, n.backPressure, n.error.code]),
      [
        [1, false, 'SERVER_UNAVAILABLE'],
        [2, false, 'SERVER_UNAVAILABLE'],
      ],
    );
  });

  it('gives up after maxAttempts transient failures, with the last error', async () => {
    let calls = 0;
    await assert.rejects(
      withRetry('op', () => (calls++, Promise.reject(unavailable())), { retry: { ...fast, maxAttempts: 4 } }),
      { code: 'SERVER_UNAVAILABLE' },
    );
    assert.equal(calls, 4);
  });

  it('does not retry what cannot succeed', async () => {
    let calls = 0;
    await assert.rejects(
      withRetry('op', () => (calls++, Promise.reject(new InvalidArgumentError('bad'))), { retry: fast }),
      { code: 'INVALID_ARGUMENT' },
    );
    assert.equal(calls, 1);
  });

  it('waits out back-pressure for at least the pushback, without spending attempts', async () => {
    const notices: RetryNotice[] = [];
    let calls = 0;
    await withRetry('op', () => (++calls <= 5 ? Promise.reject(full(3)) : Promise.resolve()), {
      retry: { ...fast, maxAttempts: 2 },
      onRetry: (n) => notices.push(n),
    });
    assert.equal(calls, 6, 'five refusals, more than maxAttempts, and still retried');
    assert.ok(notices.every((n) => n.backPressure && n.delayMs >= 3));
  });

  it('stops waiting out back-pressure after backPressureTimeoutMs, saying the upload can be resumed', async () => {
    await assert.rejects(
      withRetry('UploadChunk 3', () => Promise.reject(full(2)), {
        retry: { ...fast, backPressureTimeoutMs: 20 },
      }),
      (err: ResourceExhaustedError) =>
        err.code === 'STAGING_FULL' && !err.retriable && /kept refusing .* can be resumed/.test(err.message),
    );
  });

  it('ends with CANCELLED as soon as its signal fires, even while waiting', async () => {
    const stop = new AbortController();
    const pending = withRetry('op', () => Promise.reject(full(60_000)), {
      signal: stop.signal,
      onRetry: () => stop.abort(),
    });
    await assert.rejects(pending, (err) => err instanceof CancelledError);
  });
});

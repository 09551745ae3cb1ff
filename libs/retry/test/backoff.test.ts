import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay } from '../src/index.ts';

describe('backoffDelay', () => {
  it('grows exponentially under a cap, with full jitter', () => {
    assert.equal(
      backoffDelay(1, { initialDelayMs: 100 }, () => 1),
      100,
    );
    assert.equal(
      backoffDelay(4, { initialDelayMs: 100 }, () => 1),
      800,
    );
    assert.equal(
      backoffDelay(30, { initialDelayMs: 100, maxDelayMs: 5000 }, () => 1),
      5000,
    );
    assert.equal(
      backoffDelay(4, { initialDelayMs: 100 }, () => 0),
      0,
    );
  });
});

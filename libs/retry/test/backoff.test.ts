import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, pause, type Backoff } from '../src/index.ts';

const full: Backoff = { baseMs: 100, capMs: 10_000, jitter: 'full' };
const equal: Backoff = { baseMs: 100, capMs: 1000, jitter: 'equal' };
const draws = [0, 0.001, 0.25, 0.5, 0.75, 0.999, 1];

describe('backoffDelay', () => {
  it('grows exponentially under a cap, with full jitter', () => {
    assert.equal(backoffDelay(1, full, { random: () => 1 }), 100);
    assert.equal(backoffDelay(4, full, { random: () => 1 }), 800);
    assert.equal(backoffDelay(30, { ...full, capMs: 5000 }, { random: () => 1 }), 5000);
    assert.equal(backoffDelay(4, full, { random: () => 0 }), 0);
  });

  it('draws equal jitter from the upper half of the ceiling', () => {
    assert.equal(backoffDelay(1, equal, { random: () => 0 }), 50);
    assert.equal(backoffDelay(3, equal, { random: () => 1 }), 400);
    assert.equal(backoffDelay(30, equal, { random: () => 0 }), 500);
  });

  it('stays within [0, cap] and within its jitter bounds for every attempt', () => {
    for (const backoff of [full, equal]) {
      for (let attempt = 1; attempt <= 80; attempt++) {
        const ceiling = Math.min(backoff.capMs, backoff.baseMs * 2 ** (attempt - 1));
        const low = backoff.jitter === 'equal' ? ceiling / 2 : 0;
        for (const r of draws) {
          const delay = backoffDelay(attempt, backoff, { random: () => r });
          assert.ok(Number.isInteger(delay), `attempt ${attempt}: ${delay} is whole milliseconds`);
          assert.ok(delay >= Math.floor(low) && delay <= ceiling, `attempt ${attempt}, draw ${r}: ${delay}`);
          assert.ok(delay <= backoff.capMs);
        }
      }
    }
  });

  it('never shrinks from one attempt to the next for the same draw', () => {
    for (const backoff of [full, equal]) {
      for (const r of draws) {
        let previous = 0;
        for (let attempt = 1; attempt <= 40; attempt++) {
          const delay = backoffDelay(attempt, backoff, { random: () => r });
          assert.ok(delay >= previous, `attempt ${attempt}: ${delay} < ${previous}`);
          previous = delay;
        }
      }
    }
    assert.ok(backoffDelay(5, full, { random: () => 0.5 }) > backoffDelay(1, full, { random: () => 0.5 }));
  });

  it('never goes below a server pushback, even above the cap', () => {
    assert.equal(
      backoffDelay(1, { baseMs: 10, capMs: 100, jitter: 'equal' }, { pushbackMs: 700, random: () => 0 }),
      700,
    );
    assert.equal(
      backoffDelay(5, { baseMs: 10, capMs: 100, jitter: 'full' }, { pushbackMs: 700, random: () => 1 }),
      700,
    );
    // Below the cap the pushback is the base the backoff grows from.
    assert.equal(
      backoffDelay(2, { baseMs: 10, capMs: 10_000, jitter: 'full' }, { pushbackMs: 300, random: () => 1 }),
      600,
    );
  });
});

describe('pause', () => {
  it('waits about the time asked', async () => {
    const started = performance.now();
    await pause(30);
    assert.ok(performance.now() - started >= 25);
  });

  it('rejects at once when its signal aborts, with the reason as the cause', async () => {
    const stop = new AbortController();
    const reason = new Error('shutting down');
    const started = performance.now();
    const waiting = pause(60_000, stop.signal);
    stop.abort(reason);
    await assert.rejects(waiting, (err: Error) => err.name === 'AbortError' && err.cause === reason);
    assert.ok(performance.now() - started < 1000);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Limiter } from '../src/limiter.ts';

describe('Limiter', () => {
  it('lets at most `size` holders in, and the next waiter in as soon as one leaves', async () => {
    const limiter = new Limiter(2);
    const a = await limiter.acquire();
    const b = await limiter.acquire();
    const order: string[] = [];
    const c = limiter.acquire().then((release) => (order.push('c'), release));
    const d = limiter.acquire().then((release) => (order.push('d'), release));
    await new Promise((r) => setImmediate(r));
    assert.equal(limiter.held, 2);
    assert.deepEqual(order, []);
    a();
    a(); // a second release of the same slot changes nothing
    const releaseC = await c;
    assert.deepEqual(order, ['c']);
    assert.equal(limiter.held, 2);
    b();
    releaseC();
    (await d)();
    assert.deepEqual(order, ['c', 'd']);
    assert.equal(limiter.held, 0);
  });

  it('drops a waiter whose signal fires, with CANCELLED', async () => {
    const limiter = new Limiter(1);
    const held = await limiter.acquire();
    const stop = new AbortController();
    const waiting = limiter.acquire(stop.signal);
    stop.abort();
    await assert.rejects(waiting, { code: 'CANCELLED' });
    held();
    assert.equal(limiter.held, 0, 'the cancelled waiter did not take the slot');
    await assert.rejects(limiter.acquire(stop.signal), { code: 'CANCELLED' });
  });

  it('refuses a size below one', () => {
    assert.throws(() => new Limiter(0), RangeError);
  });
});

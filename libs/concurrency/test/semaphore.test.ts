import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { Semaphore } from '../src/index.ts';

describe('Semaphore', () => {
  it('hands out at most its permits, in arrival order', async () => {
    const s = new Semaphore(2);
    await s.acquire();
    await s.acquire();
    const order: number[] = [];
    const third = s.acquire().then(() => order.push(3));
    const fourth = s.acquire().then(() => order.push(4));
    await sleep(5);
    assert.deepEqual(order, []);
    s.release();
    await third;
    s.release();
    await fourth;
    assert.deepEqual(order, [3, 4]);
  });
});

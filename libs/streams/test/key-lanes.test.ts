import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { KeyLanes, Semaphore, backoffDelay } from '../src/index.ts';

describe('KeyLanes', () => {
  it('runs one key in order and different keys side by side', async () => {
    const lanes = new KeyLanes();
    const log: string[] = [];
    const task = (name: string, ms: number) => async () => {
      log.push(`start ${name}`);
      await sleep(ms);
      log.push(`end ${name}`);
    };
    await Promise.all([
      lanes.run('a', task('a1', 30)),
      lanes.run('a', task('a2', 1)),
      lanes.run('b', task('b1', 1)),
    ]);
    assert.ok(log.indexOf('end a1') < log.indexOf('start a2'), 'a2 waits for a1');
    assert.ok(log.indexOf('end b1') < log.indexOf('end a1'), 'b1 does not wait for a1');
    assert.equal(lanes.busy, 0, 'lanes are dropped once idle');
  });

  it('keeps going after a failed task', async () => {
    const lanes = new KeyLanes();
    const first = lanes.run('k', () => Promise.reject(new Error('boom')));
    const second = lanes.run('k', () => Promise.resolve(2));
    await assert.rejects(first, /boom/);
    assert.equal(await second, 2);
  });
});

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

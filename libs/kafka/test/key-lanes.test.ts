import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { KeyLanes } from '../src/index.ts';

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

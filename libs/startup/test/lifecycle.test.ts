import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { runComponents, type Component } from '../src/index.ts';

const logger = pino({ level: 'silent' });

function recorder(events: string[], name: string, failStart = false): Component {
  return {
    name,
    start: () => {
      events.push(`start ${name}`);
      return failStart ? Promise.reject(new Error(`${name} refused`)) : Promise.resolve();
    },
    close: async () => {
      await new Promise((r) => setTimeout(r, 5));
      events.push(`close ${name}`);
    },
  };
}

describe('runComponents', () => {
  it('starts in order and closes in reverse, waiting for each close', async () => {
    const events: string[] = [];
    const codes: number[] = [];
    const running = await runComponents([recorder(events, 'a'), recorder(events, 'b')], {
      logger,
      signals: [],
      exit: (c) => codes.push(c),
    });
    assert.equal(await running.stop('test'), 0);
    assert.deepEqual(events, ['start a', 'start b', 'close b', 'close a']);
    assert.deepEqual(codes, []);
  });

  it('closes what started and exits non-zero when a start fails', async () => {
    const events: string[] = [];
    const codes: number[] = [];
    await runComponents([recorder(events, 'a'), recorder(events, 'b', true), recorder(events, 'c')], {
      logger,
      signals: [],
      exit: (c) => codes.push(c),
    });
    assert.deepEqual(events, ['start a', 'start b', 'close a']);
    assert.deepEqual(codes, [1]);
  });

  it('stops on a signal and reports the exit code', async () => {
    const events: string[] = [];
    const exited = new Promise<number>((resolve) => {
      void runComponents([recorder(events, 'a')], { logger, signals: ['SIGHUP'], exit: resolve }).then(() =>
        process.kill(process.pid, 'SIGHUP'),
      );
    });
    assert.equal(await exited, 0);
    assert.deepEqual(events, ['start a', 'close a']);
  });
});

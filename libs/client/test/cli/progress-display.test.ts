import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatBytes, formatDuration, ProgressDisplay, renderBar } from '../../src/cli/progress-display.ts';
import type { UploadProgress } from '../../src/progress.ts';

const progress = (acknowledged: number, total: number | undefined): UploadProgress => ({
  uploadId: 'u',
  phase: 'uploading',
  totalBytes: total,
  bytesRead: acknowledged,
  bytesSent: acknowledged,
  bytesAcknowledged: acknowledged,
  bytesResumed: 0,
  bytesStored: undefined,
  chunksAcknowledged: 1,
  chunksHeldBack: 0,
});

describe('formatting', () => {
  it('writes sizes in binary units and durations as clocks', () => {
    assert.equal(formatBytes(0), '0 B');
    assert.equal(formatBytes(1023), '1023 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(5 * 1024 ** 3), '5.0 GiB');
    assert.equal(formatDuration(75), '1:15');
    assert.equal(formatDuration(3725), '1:02:05');
    assert.equal(formatDuration(Infinity), '--:--');
  });

  it('draws a bar with percentage, rate, ETA and file count', () => {
    const line = renderBar(
      { done: 5 * 1024 ** 2, total: 10 * 1024 ** 2, rate: 1024 ** 2, filesDone: 1, files: 2, heldBack: 0 },
      120,
    );
    assert.equal(
      line,
      `[${'#'.repeat(15)}${'-'.repeat(15)}]  50%  5.0 MiB / 10.0 MiB  1.0 MiB/s  ETA 0:05  1/2 files`,
    );
    const unknown = renderBar(
      { done: 2048, total: undefined, rate: 0, filesDone: 0, files: 1, heldBack: 2 },
      120,
    );
    assert.equal(unknown, '2.0 KiB  0 B/s  server busy, retrying');
  });
});

describe('ProgressDisplay', () => {
  it('redraws one line in place on a terminal, keeping permanent lines above it', () => {
    const out: string[] = [];
    let now = 0;
    const display = new ProgressDisplay(
      { write: (t: string) => out.push(t), columns: 120 },
      { tty: true, now: () => now },
    );
    display.add('a', 100);
    display.update('a', progress(10, 100));
    now += 50;
    display.update('a', progress(20, 100)); // too soon to redraw
    now += 100;
    display.update('a', progress(30, 100));
    display.line('a: sealed');
    display.finish('a');
    display.stop();
    const text = out.join('');
    const CLEAR = '\r\x1b[2K';
    assert.equal(text.split(`${CLEAR}[`).length - 1, 3, 'two updates and the finish drew the bar');
    assert.ok(text.includes(`${CLEAR}a: sealed\n`));
    assert.ok(text.endsWith(CLEAR), 'the bar is gone at the end');
  });

  it('writes only the permanent lines without a terminal', () => {
    const out: string[] = [];
    const display = new ProgressDisplay({ write: (t: string) => out.push(t) }, { tty: false });
    display.add('a', 100);
    display.update('a', progress(50, 100));
    display.line('a: sealed');
    display.finish('a');
    display.stop();
    assert.deepEqual(out, ['a: sealed\n']);
  });
});

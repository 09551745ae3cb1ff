import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { RecordBatcher } from '../src/record-batcher.ts';

function source(): PassThrough {
  return new PassThrough({ objectMode: true });
}

const never = new AbortController().signal;

describe('RecordBatcher', () => {
  it('returns up to max records that are already there', async () => {
    const s = source();
    for (let i = 0; i < 5; i++) s.write(i);
    const b = new RecordBatcher<number>(s);
    assert.deepEqual(await b.next(3, 1000, never), [0, 1, 2]);
    assert.deepEqual(await b.next(3, 20, never), [3, 4]);
  });

  it('waits for a first record, then closes the batch after the wait', async () => {
    const s = source();
    const b = new RecordBatcher<number>(s);
    const pending = b.next(10, 30, never);
    setTimeout(() => s.write(1), 20);
    setTimeout(() => s.write(2), 25);
    // Written long after the batch closed: belongs to the next one.
    setTimeout(() => s.write(3), 1000);
    assert.deepEqual(await pending, [1, 2]);
    assert.deepEqual(await b.next(10, 10, never), [3]);
  });

  it('keeps a record that arrives after the batch closed for the next batch', async () => {
    const s = source();
    const b = new RecordBatcher<number>(s);
    s.write(1);
    assert.deepEqual(await b.next(10, 5, never), [1]);
    // The batcher is now waiting on a pull it started before closing the batch.
    s.write(2);
    assert.deepEqual(await b.next(10, 5, never), [2]);
  });

  it('returns [] when aborted before a first record, and keeps the pending pull', async () => {
    const s = source();
    const b = new RecordBatcher<number>(s);
    const stop = new AbortController();
    const pending = b.next(10, 5, stop.signal);
    stop.abort();
    assert.deepEqual(await pending, []);
    s.write(7);
    assert.deepEqual(await b.next(10, 5, never), [7]);
  });

  it('reports the end of the source as null, and its failure as a rejection', async () => {
    const ended = source();
    ended.end();
    assert.equal(await new RecordBatcher<number>(ended).next(10, 5, never), null);
    const failing = source();
    const b = new RecordBatcher<number>(failing);
    const pending = b.next(10, 5, never);
    failing.destroy(new Error('broker gone'));
    await assert.rejects(pending, /broker gone/);
  });
});

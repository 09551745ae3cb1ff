import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { SendQueue } from '../src/send-queue.ts';

interface Harness {
  queue: SendQueue<number, string, string>;
  batches: string[][];
  prepared: number[];
  /** Settles the oldest unsettled batch. */
  release: (error?: Error) => void;
}

function harness(
  limits: Partial<{ items: number; batchItems: number; batchBytes: number }> = {},
  sizes: Record<number, number> = {},
): Harness {
  const batches: string[][] = [];
  const prepared: number[] = [];
  const open: { resolve: (v: string[]) => void; reject: (e: Error) => void; batch: readonly string[] }[] = [];
  const queue = new SendQueue<number, string, string>({
    maxPendingItems: limits.items ?? 100,
    maxBatchItems: limits.batchItems ?? 100,
    maxBatchBytes: limits.batchBytes ?? 1_000_000,
    prepare: (item) => {
      if (item < 0) throw new Error(`cannot prepare ${item}`);
      prepared.push(item);
      return { prepared: `p${item}`, bytes: sizes[item] ?? 1 };
    },
    send: (batch) => {
      batches.push([...batch]);
      return new Promise((resolve, reject) => open.push({ resolve, reject, batch }));
    },
    failure: (error, count) => new Error(`failed ${count}: ${(error as Error).message}`),
  });
  return {
    queue,
    batches,
    prepared,
    release: (error) => {
      const next = open.shift();
      assert.ok(next, 'no batch in flight');
      if (error === undefined) next.resolve(next.batch.map((item) => `ok ${item}`));
      else next.reject(error);
    },
  };
}

// Lets microtasks and the setImmediate that prepares the next batch run.
const settle = (): Promise<void> => sleep(0).then(() => new Promise((resolve) => setImmediate(resolve)));

describe('SendQueue', () => {
  it('sends items pushed together as one batch, then what accumulated meanwhile, in order', async () => {
    const { queue, batches, release } = harness();
    const results = [queue.push(1), queue.push(2)];
    await settle();
    assert.deepEqual(batches, [['p1', 'p2']]);
    results.push(queue.push(3), queue.push(4), queue.push(5));
    await settle();
    assert.equal(batches.length, 1, 'one batch in flight at a time');
    release();
    await settle();
    assert.deepEqual(batches, [
      ['p1', 'p2'],
      ['p3', 'p4', 'p5'],
    ]);
    release();
    assert.deepEqual(await Promise.all(results), ['ok p1', 'ok p2', 'ok p3', 'ok p4', 'ok p5']);
    await queue.drained();
  });

  it('prepares nothing at push, and the next batch while the current one is in flight', async () => {
    const { queue, prepared, release } = harness({ batchItems: 2 });
    const all = [1, 2, 3, 4, 5].map((i) => queue.push(i));
    assert.deepEqual(prepared, []);
    await settle();
    assert.deepEqual(prepared, [1, 2, 3, 4], 'batch [1, 2] in flight, [3, 4] ready');
    release();
    await settle();
    assert.deepEqual(prepared, [1, 2, 3, 4, 5]);
    release();
    await settle();
    release();
    await Promise.all(all);
  });

  it('cuts batches at the item and byte limits, letting an oversized item go alone', async () => {
    const { queue, batches, prepared, release } = harness(
      { batchItems: 2, batchBytes: 10 },
      { 1: 4, 2: 4, 3: 4, 4: 20 },
    );
    const all = [1, 2, 3, 4, 5].map((i) => queue.push(i));
    for (let i = 0; i < 4; i++) {
      await settle();
      release();
    }
    await Promise.all(all);
    assert.deepEqual(batches, [['p1', 'p2'], ['p3'], ['p4'], ['p5']]);
    assert.deepEqual(prepared, [1, 2, 3, 4, 5], 'each item prepared once');
  });

  it('makes push wait for room past the bound, FIFO, and admits waiters as batches finish', async () => {
    const { queue, batches, release } = harness({ items: 2 });
    const order: number[] = [];
    const all = [1, 2, 3, 4].map((i) => queue.push(i).then(() => order.push(i)));
    await settle();
    assert.deepEqual(batches, [['p1', 'p2']]);
    assert.equal(queue.pending, 4, 'two in flight, two waiting');
    release();
    await settle();
    assert.deepEqual(batches, [
      ['p1', 'p2'],
      ['p3', 'p4'],
    ]);
    release();
    await Promise.all(all);
    assert.deepEqual(order, [1, 2, 3, 4]);
  });

  it('fails an item that cannot be prepared alone', async () => {
    const { queue, batches, release } = harness();
    const results = Promise.allSettled([queue.push(1), queue.push(-1), queue.push(2)]);
    await settle();
    release();
    const [one, bad, two] = await results;
    assert.deepEqual(one, { status: 'fulfilled', value: 'ok p1' });
    assert.equal(bad?.status, 'rejected');
    assert.deepEqual(two, { status: 'fulfilled', value: 'ok p2' });
    assert.deepEqual(batches, [['p1', 'p2']]);
  });

  it('fails the batch and everything pushed before the failure, then carries on', async () => {
    const { queue, batches, release } = harness({ items: 3, batchItems: 2 });
    const early = [1, 2, 3, 4, 5].map((i) => queue.push(i));
    await settle();
    assert.deepEqual(batches, [['p1', 'p2']]);
    release(new Error('broker gone'));
    const settled = await Promise.allSettled(early);
    for (const result of settled) {
      assert.equal(result.status === 'rejected' && (result.reason as Error).message, 'failed 5: broker gone');
    }
    assert.equal(queue.pending, 0);
    const later = queue.push(6);
    await settle();
    release();
    assert.equal(await later, 'ok p6');
    assert.deepEqual(batches, [['p1', 'p2'], ['p6']]);
  });

  it('lets a waiter give up through its signal', async () => {
    const { queue, release } = harness({ items: 1 });
    const first = queue.push(1);
    const controller = new AbortController();
    const waiting = queue.push(2, controller.signal);
    controller.abort(new Error('client went away'));
    await assert.rejects(waiting, /client went away/);
    await settle();
    release();
    assert.equal(await first, 'ok p1');
    await queue.drained();
    assert.equal(queue.pending, 0);
  });

  it('treats a send that throws synchronously as a failed batch', async () => {
    const queue = new SendQueue<number, number, string>({
      maxPendingItems: 10,
      maxBatchItems: 10,
      maxBatchBytes: 100,
      prepare: (item) => ({ prepared: item, bytes: 1 }),
      send: () => {
        throw new Error('boom');
      },
      failure: (error) => error as Error,
    });
    await assert.rejects(queue.push(1), /boom/);
  });
});

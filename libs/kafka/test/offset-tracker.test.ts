import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PartitionTracker } from '../src/index.ts';

describe('PartitionTracker', () => {
  it('never moves the watermark past an unfinished record', () => {
    const t = new PartitionTracker<string>();
    for (const o of [10n, 11n, 12n, 13n]) assert.ok(t.begin(o, `r${o}`));
    assert.equal(t.finish(12n), undefined, 'slow 10 holds the watermark back');
    assert.equal(t.finish(11n), undefined);
    assert.equal(t.finish(10n), 'r12', 'the watermark jumps to the highest contiguous finished record');
    assert.equal(t.finish(13n), 'r13');
    assert.equal(t.size, 0);
  });

  it('handles gaps in offsets', () => {
    const t = new PartitionTracker<number>();
    t.begin(5n, 5);
    t.begin(9n, 9);
    t.begin(40n, 40);
    assert.equal(t.finish(9n), undefined);
    assert.equal(t.finish(5n), 9);
    assert.equal(t.finish(40n), 40);
  });

  it('refuses offsets already seen, in flight or finished', () => {
    const t = new PartitionTracker<number>();
    assert.ok(t.begin(1n, 1));
    assert.ok(t.begin(2n, 2));
    assert.equal(t.begin(2n, 2), false);
    t.finish(1n);
    assert.equal(t.begin(1n, 1), false);
    assert.ok(t.begin(3n, 3));
  });

  it('keeps the watermark right over random finishing orders', () => {
    let seed = 42;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 200; round++) {
      const t = new PartitionTracker<bigint>();
      const offsets: bigint[] = [];
      let o = 0n;
      for (let i = 0; i < 30; i++) offsets.push((o += BigInt(1 + Math.floor(rnd() * 3))));
      for (const x of offsets) t.begin(x, x);
      const order = [...offsets].sort(() => rnd() - 0.5);
      const finished = new Set<bigint>();
      let last: bigint | undefined;
      for (const x of order) {
        finished.add(x);
        const w = t.finish(x);
        if (w !== undefined) last = w;
        // Every record at or below the watermark has finished.
        if (last !== undefined) for (const y of offsets) if (y <= last) assert.ok(finished.has(y));
      }
      assert.equal(last, offsets.at(-1));
    }
  });
});

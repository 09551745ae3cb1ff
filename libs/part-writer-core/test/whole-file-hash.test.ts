import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { WholeFileHash, chainOf } from '../src/whole-file-hash.ts';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest();
const file = randomBytes(1000);
/** Part n (1-based) of 100 bytes, from chunk writes `fingerprint`. */
const part = (n: number, fingerprint = 'a') => ({
  range: { partNumber: n, start: (n - 1) * 100, end: n * 100, fingerprint },
  bytes: [file.subarray((n - 1) * 100, n * 100)],
});

describe('WholeFileHash', () => {
  it('hashes parts in offset order whatever order they come in, and ignores a retry', () => {
    const hash = WholeFileHash.fresh(1000);
    for (const n of [3, 1, 2, 10, 5, 4, 1, 6, 7, 9, 8]) {
      const p = part(n);
      hash.offer(p.range, p.bytes);
    }
    assert.equal(hash.offset, 1000);
    assert.deepEqual(hash.digest(1000), sha256(file));
    assert.equal(hash.digest(999), undefined, 'a size that is not the one hashed has no digest');
  });

  it('has no digest before the last byte', () => {
    const hash = WholeFileHash.fresh(1000);
    const p = part(2);
    hash.offer(p.range, p.bytes);
    assert.equal(hash.offset, 0, 'part 2 waits for part 1');
    assert.equal(hash.digest(1000), undefined);
    assert.equal(hash.lost, undefined);
  });

  it('takes the newest write of a part still waiting, and gives up on a part hashed from other writes', () => {
    const waiting = WholeFileHash.fresh(1000);
    waiting.offer(part(2, 'old').range, [Buffer.alloc(100)]);
    waiting.offer(part(2, 'new').range, part(2).bytes);
    waiting.offer(part(1).range, part(1).bytes);
    assert.equal(waiting.offset, 200);

    const hashed = WholeFileHash.fresh(1000);
    hashed.offer(part(1).range, part(1).bytes);
    hashed.offer(part(1, 'replaced').range, part(1).bytes);
    assert.equal(hashed.lost, 'rewritten');
    assert.equal(hashed.digest(100), undefined);
  });

  it('gives up when the parts ahead of it would hold more than the reorder budget', () => {
    const hash = WholeFileHash.fresh(150);
    hash.offer(part(2).range, part(2).bytes);
    assert.equal(hash.lost, undefined);
    hash.offer(part(3).range, part(3).bytes);
    assert.equal(hash.lost, 'reordered');
    hash.offer(part(1).range, part(1).bytes);
    assert.equal(hash.offset, 0, 'nothing is hashed after it was given up');
  });

  it('holds the memory of the parts it keeps waiting, and lets each go once', () => {
    const holds = new Map<number, number>();
    const held = (n: number) => ({
      retain: () => holds.set(n, (holds.get(n) ?? 0) + 1),
      release: () => holds.set(n, (holds.get(n) ?? 0) - 1),
    });
    const hash = WholeFileHash.fresh(250);
    for (const n of [3, 2]) hash.offer(part(n).range, part(n).bytes, held(n));
    assert.deepEqual(
      [...holds],
      [
        [3, 1],
        [2, 1],
      ],
      'parts ahead of the hash are held',
    );
    hash.offer(part(1).range, part(1).bytes, held(1));
    assert.deepEqual(
      [...holds],
      [
        [3, 0],
        [2, 0],
      ],
      'part 1 was hashed at once, and 2 and 3 after it',
    );
    hash.offer(part(5, 'old').range, part(5).bytes, held(50));
    hash.offer(part(5, 'new').range, part(5).bytes, held(51));
    assert.equal(holds.get(50), 0, 'a newer write of a waiting part lets the older one go');
    assert.equal(holds.get(51), 1);
    hash.offer(part(6).range, part(6).bytes, held(6));
    hash.offer(part(8).range, part(8).bytes, held(8));
    assert.equal(hash.lost, 'reordered');
    assert.deepEqual(
      [holds.get(51), holds.get(6), holds.get(8)],
      [0, 0, undefined],
      'a hash given up holds nothing',
    );
  });

  it('saves a checkpoint only past parts all stored from the bytes hashed, and releases bytes only behind it', () => {
    const hash = WholeFileHash.fresh(1000, true);
    assert.equal(hash.releasableThrough, 0, 'nothing may go before a checkpoint is saved');
    for (const n of [1, 2, 3, 5]) hash.offer(part(n).range, part(n).bytes);
    const stored = new Map([
      [1, 'a'],
      [3, 'a'],
    ]);
    assert.equal(hash.checkpoint((n) => stored.get(n))?.part, 1, 'part 2 is not stored yet');
    stored.set(2, 'other');
    assert.equal(
      hash.checkpoint((n) => stored.get(n))?.part,
      1,
      'part 2 stored from other bytes than hashed',
    );
    stored.set(2, 'a').set(5, 'a');
    const checkpoint = hash.checkpoint((n) => stored.get(n))!;
    assert.deepEqual(
      { part: checkpoint.part, offset: checkpoint.offset },
      { part: 3, offset: 300 },
      'part 5 waits for 4',
    );
    assert.equal(checkpoint.chain, chainOf(chainOf(chainOf('', 'a'), 'a'), 'a'));
    assert.equal(hash.releasableThrough, 0, 'not saved yet');
    hash.saved(checkpoint);
    assert.equal(hash.releasableThrough, 3);
    assert.equal(
      hash.checkpoint((n) => stored.get(n)),
      undefined,
      'nothing new past it',
    );
    hash.offer(part(4, 'x').range, part(4).bytes);
    stored.set(4, 'x');
    assert.equal(hash.checkpoint((n) => stored.get(n))?.part, 5);

    assert.equal(
      WholeFileHash.fresh(1000, false).releasableThrough,
      Infinity,
      'a hash that cannot be saved keeps nothing',
    );
    const lost = WholeFileHash.fresh(1000, true);
    lost.giveUp('reloaded');
    assert.equal(lost.releasableThrough, Infinity, 'nor does one given up');
  });

  it('loads from a checkpoint that matches the parts stored, to the same digest as one pass', () => {
    const first = WholeFileHash.fresh(1000, true);
    for (const n of [1, 2, 3, 4]) first.offer(part(n).range, part(n).bytes);
    const stored = [1, 2, 3, 4].map((n) => ({ partNumber: n, end: n * 100, fingerprint: 'a' }));
    const checkpoint = first.checkpoint(() => 'a')!;
    assert.equal(checkpoint.part, 4);

    const resumed = WholeFileHash.load(1000, checkpoint, stored);
    assert.equal(resumed.offset, 400);
    assert.equal(resumed.releasableThrough, 4);
    assert.ok(resumed.has(4) && !resumed.has(5));
    for (const n of [10, 9, 8, 7, 6, 5, 4]) resumed.offer(part(n).range, part(n).bytes);
    assert.deepEqual(resumed.digest(1000), sha256(file));

    const rewritten = WholeFileHash.load(1000, checkpoint, stored);
    rewritten.offer(part(2, 'b').range, part(2).bytes);
    assert.equal(rewritten.lost, 'rewritten', 'a part behind the checkpoint written again from other bytes');

    const other = stored.map((p) => (p.partNumber === 2 ? { ...p, fingerprint: 'b' } : p));
    for (const [what, loaded] of [
      ['a part stored from other bytes', WholeFileHash.load(1000, checkpoint, other)],
      ['a part missing', WholeFileHash.load(1000, checkpoint, stored.slice(1))],
      ['an offset not where the part ends', WholeFileHash.load(1000, { ...checkpoint, offset: 399 }, stored)],
      ['no checkpoint', WholeFileHash.load(1000, undefined, stored)],
    ] as const) {
      assert.equal(loaded.offset, 0, `${what}: from the first byte`);
      assert.equal(loaded.lost, undefined, what);
    }
    assert.equal(
      WholeFileHash.load(1000, checkpoint, stored, false).lost,
      'reloaded',
      'no state without the module',
    );
    assert.equal(WholeFileHash.load(1000, undefined, [], false).lost, undefined, 'nothing stored yet');
  });
});

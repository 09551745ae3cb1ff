import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { WholeFileHash } from '../src/whole-file-hash.ts';

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
});

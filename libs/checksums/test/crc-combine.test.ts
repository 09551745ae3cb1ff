import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  combineAll,
  combineCrc32,
  combineCrc32c,
  combineCrc64nvme,
  crc32,
  crc32c,
  crc64nvme,
} from '../src/index.ts';
import { SeededRandom } from '@sluice/testing';

function cut(random: SeededRandom, data: Buffer, maxPiece: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let at = 0; at < data.length;) {
    const length = random.int(0, maxPiece);
    pieces.push(data.subarray(at, at + length));
    at += length;
  }
  return pieces;
}

describe('combining CRCs without the bytes', () => {
  it('gives the CRC of A‖B from the CRCs of A and B, for every algorithm', () => {
    const random = new SeededRandom(1);
    for (let round = 0; round < 200; round++) {
      const a = random.bytes(random.int(0, 3000));
      const b = random.bytes(random.int(0, 3000));
      const ab = Buffer.concat([a, b]);
      assert.equal(combineCrc64nvme(crc64nvme(a), crc64nvme(b), b.length), crc64nvme(ab), `round ${round}`);
      assert.equal(combineCrc32c(crc32c(a), crc32c(b), b.length), crc32c(ab), `round ${round}`);
      assert.equal(combineCrc32(crc32(a), crc32(b), b.length), crc32(ab), `round ${round}`);
    }
  });

  it('handles long B whose length has many hex digits', () => {
    const a = new SeededRandom(2).bytes(1000);
    for (const n of [65_536, 1_000_003, 3 * 1024 * 1024 + 5]) {
      const zeros = Buffer.alloc(n);
      const joined = Buffer.concat([a, zeros]);
      assert.equal(combineCrc64nvme(crc64nvme(a), crc64nvme(zeros), n), crc64nvme(joined), `${n}`);
      assert.equal(combineCrc32c(crc32c(a), crc32c(zeros), n), crc32c(joined), `${n}`);
    }
  });

  it('is associative for lengths past 2^32 (the upper power tables)', () => {
    const random = new SeededRandom(3);
    for (let round = 0; round < 50; round++) {
      const [a, b, c] = [random.uint32(), random.uint32(), random.uint32()].map(
        (x) => (BigInt(x) << 32n) | BigInt(random.uint32()),
      ) as [bigint, bigint, bigint];
      const lengthB = random.int(0, 2 ** 21) * 2 ** 21 + random.int(0, 2 ** 20);
      const lengthC = random.int(0, 2 ** 21) * 2 ** 21 + random.int(0, 2 ** 20);
      assert.equal(
        combineCrc64nvme(combineCrc64nvme(a, b, lengthB), c, lengthC),
        combineCrc64nvme(a, combineCrc64nvme(b, c, lengthC), lengthB + lengthC),
      );
      const [x, y, z] = [random.uint32(), random.uint32(), random.uint32()];
      assert.equal(
        combineCrc32c(combineCrc32c(x, y, lengthB), z, lengthC),
        combineCrc32c(x, combineCrc32c(y, z, lengthC), lengthB + lengthC),
      );
    }
  });

  it('combineAll over random chunkings (empty chunks included) equals the CRC of the whole', () => {
    const random = new SeededRandom(4);
    for (let round = 0; round < 100; round++) {
      const data = random.bytes(random.int(0, 20_000));
      const pieces = cut(random, data, random.int(1, 4000));
      const crc64 = combineAll(
        'crc64nvme',
        pieces.map((p) => ({ crc: crc64nvme(p), length: p.length })),
      );
      assert.deepEqual(crc64, { crc: crc64nvme(data), length: data.length });
      const c32c = combineAll(
        'crc32c',
        pieces.map((p) => ({ crc: crc32c(p), length: p.length })),
      );
      assert.deepEqual(c32c, { crc: crc32c(data), length: data.length });
      const c32 = combineAll(
        'crc32',
        pieces.map((p) => ({ crc: crc32(p), length: p.length })),
      );
      assert.deepEqual(c32, { crc: crc32(data), length: data.length });
    }
  });

  it('combineAll of nothing is the CRC of no bytes', () => {
    assert.deepEqual(combineAll('crc64nvme', []), { crc: 0n, length: 0 });
    assert.deepEqual(combineAll('crc32c', []), { crc: 0, length: 0 });
  });

  it('refuses negative or fractional lengths and out-of-range CRCs', () => {
    assert.throws(() => combineCrc64nvme(1n, 2n, -1), { code: 'INTERNAL' });
    assert.throws(() => combineCrc32c(1, 2, 1.5), { code: 'INTERNAL' });
    assert.throws(() => combineCrc64nvme(1n << 64n, 2n, 1), { code: 'INTERNAL' });
    assert.throws(() => combineCrc32(-1, 2, 1), { code: 'INTERNAL' });
  });
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { crc32c, crc64nvme } from '@sluice/checksums';
import { SluiceError } from '@sluice/errors';
import { MiB, partsOfFile } from '@sluice/parts';
import { UploadLedger, combineCrcs, type ChunkFacts, type PartWork, type StoredPart } from '../src/index.ts';
import { SeededRandom } from '@sluice/testing';

const policy = { kind: 'fixed', partSize: 5 * MiB } as const;

function facts(chunk: number, size: number, generation = 0, crcs: Partial<ChunkFacts> = {}): ChunkFacts {
  return {
    chunk,
    size,
    crc64nvme: 0n,
    crc32c: 0,
    crc32: 0,
    prefix: `ns:{u}:c:${chunk}:w${generation}`,
    segmentCount: Math.ceil(size / MiB),
    segmentSize: MiB,
    generation,
    ...crcs,
  };
}

function stored(work: PartWork): StoredPart {
  return {
    partNumber: work.partNumber,
    start: work.start,
    end: work.end,
    etag: `etag-${work.partNumber}`,
    versionId: '',
    single: work.upload === 'single',
    crc64nvme: 0n,
    crc32c: 0,
    crc32: 0,
    firstChunk: work.firstChunk,
    lastChunk: work.lastChunk,
    fingerprint: work.fingerprint,
  };
}

/** Random chunk sizes for a file of `total` bytes: many tiny ones, some bigger than a part. */
function chunkSizes(random: SeededRandom, total: number): number[] {
  const sizes: number[] = [];
  let left = total;
  while (left > 0) {
    const pick = random.int(0, 9);
    const size =
      pick < 3 ? random.int(1, 3) : pick < 8 ? random.int(1, 2 * MiB) : random.int(5 * MiB, 12 * MiB);
    sizes.push(Math.min(size, left));
    left -= Math.min(size, left);
  }
  return sizes;
}

/** Feeds the chunks in `order` (with repeats), storing each dirty part as soon as it appears. */
function run(sizes: readonly number[], order: readonly number[], sealAt: number): Map<number, PartWork> {
  const ledger = new UploadLedger({ policy, checksumMode: 'crc64nvme' });
  const written = new Map<number, PartWork>();
  order.forEach((n, i) => {
    if (i === sealAt) ledger.seal(sizes.length);
    ledger.addChunk(facts(n, sizes[n]!));
    for (const p of ledger.dirtyParts) {
      const work = ledger.partWork(p)!;
      const before = written.get(p);
      if (before) assert.deepEqual([before.start, before.end], [work.start, work.end], `part ${p} moved`);
      written.set(p, work);
      ledger.markStored(stored(work));
    }
  });
  if (sealAt >= order.length) ledger.seal(sizes.length);
  for (const p of ledger.dirtyParts) {
    const work = ledger.partWork(p)!;
    written.set(p, work);
    ledger.markStored(stored(work));
  }
  assert.equal(ledger.complete, true, 'every part stored once all chunks and the seal are in');
  return written;
}

describe('UploadLedger', () => {
  it('cuts the same parts whatever the chunk order, and the pieces tile each part', () => {
    for (let seed = 1; seed <= 12; seed++) {
      const random = new SeededRandom(seed);
      const total = random.int(0, 3) === 0 ? random.int(0, 5 * MiB) : random.int(5 * MiB, 40 * MiB);
      const sizes = chunkSizes(random, total);
      const ordered = sizes.map((_, i) => i);
      const shuffled = random.shuffle([...ordered, ...random.shuffle(ordered).slice(0, 5)]);
      const a = run(sizes, ordered, ordered.length);
      const b = run(sizes, shuffled, random.int(0, shuffled.length));
      const expected = partsOfFile(policy, total);
      for (const written of [a, b]) {
        assert.deepEqual(
          [...written.values()]
            .sort((x, y) => x.partNumber - y.partNumber)
            .map((w) => [w.partNumber, w.start, w.end]),
          expected.map((p) => [p.partNumber, p.start, p.end]),
          `seed ${seed}`,
        );
        for (const work of written.values()) {
          let offset = work.start;
          for (const piece of work.pieces) {
            const chunkStart = sizes.slice(0, piece.chunk.chunk).reduce((s, x) => s + x, 0);
            assert.equal(chunkStart + piece.offsetInChunk, offset, `seed ${seed} part ${work.partNumber}`);
            offset += piece.length;
          }
          assert.equal(offset, work.end);
          assert.equal(work.upload, total <= 5 * MiB ? 'single' : 'multipart');
        }
      }
    }
  });

  it('combines the chunk CRCs into the CRC of the whole file and of each part', () => {
    const random = new SeededRandom(7);
    const file = randomBytes(13 * MiB + 17);
    const sizes = chunkSizes(random, file.length);
    const ledger = new UploadLedger({ policy, checksumMode: 'crc32c' });
    let offset = 0;
    sizes.forEach((size, n) => {
      const bytes = file.subarray(offset, offset + size);
      offset += size;
      ledger.addChunk(facts(n, size, 0, { crc64nvme: crc64nvme(bytes), crc32c: crc32c(bytes) }));
    });
    ledger.seal(sizes.length);
    assert.deepEqual(ledger.wholeCrcs(), { crc64nvme: crc64nvme(file), crc32c: crc32c(file), crc32: 0 });
    for (const p of ledger.dirtyParts) {
      const work = ledger.partWork(p)!;
      const runs = work.pieces.map((piece) => {
        const start = sizes.slice(0, piece.chunk.chunk).reduce((s, x) => s + x, 0) + piece.offsetInChunk;
        const bytes = file.subarray(start, start + piece.length);
        return { crc64nvme: crc64nvme(bytes), crc32c: crc32c(bytes), crc32: 0, length: piece.length };
      });
      const part = file.subarray(work.start, work.end);
      assert.deepEqual(combineCrcs(runs, 'crc32c'), {
        crc64nvme: crc64nvme(part),
        crc32c: crc32c(part),
        crc32: 0,
      });
    }
  });

  it('makes the parts of a replaced chunk dirty again, and ignores older writes', () => {
    const ledger = new UploadLedger({ policy, checksumMode: 'none' });
    ledger.addChunk(facts(0, 4 * MiB));
    ledger.addChunk(facts(1, 4 * MiB));
    assert.deepEqual(ledger.dirtyParts, [1]);
    const first = ledger.partWork(1)!;
    assert.equal(ledger.markStored(stored(first)), true);
    assert.deepEqual(ledger.dirtyParts, []);

    const change = ledger.addChunk(facts(1, 4 * MiB, 1));
    assert.equal(change.kind, 'replaced');
    assert.deepEqual(ledger.dirtyParts, [1], 'part 1 holds bytes of chunk 1');
    assert.notEqual(ledger.partWork(1)!.fingerprint, first.fingerprint);
    assert.equal(ledger.markStored(stored(first)), false, 'the old write no longer counts');
    assert.equal(ledger.addChunk(facts(1, 4 * MiB, 0)).kind, 'stale');
    assert.equal(ledger.addChunk(facts(1, 4 * MiB, 1)).kind, 'duplicate');
    assert.throws(
      () => ledger.addChunk(facts(1, 3 * MiB, 2)),
      (err: unknown) => err instanceof SluiceError && err.code === 'CHUNK_CONFLICT',
    );
  });

  it('releases a chunk only once every part holding its bytes is stored', () => {
    const ledger = new UploadLedger({ policy, checksumMode: 'none' });
    ledger.addChunk(facts(0, 3 * MiB));
    ledger.addChunk(facts(1, 4 * MiB)); // bytes 3..7 MiB: parts 1 and 2
    ledger.addChunk(facts(2, 4 * MiB));
    ledger.seal(3);
    assert.deepEqual(ledger.dirtyParts, [1, 2, 3]);
    ledger.markStored(stored(ledger.partWork(1)!));
    assert.deepEqual(
      ledger.releasable().map((c) => c.chunk),
      [0],
    );
    ledger.markStored(stored(ledger.partWork(2)!));
    assert.deepEqual(
      ledger.releasable([2]).map((c) => c.chunk),
      [1],
    );
    ledger.markDeleted(0, facts(0, 0).prefix);
    ledger.markDeleted(1, facts(1, 0).prefix);
    assert.deepEqual(ledger.releasable(), []);
    assert.equal(ledger.complete, false);
    ledger.markStored(stored(ledger.partWork(3)!));
    assert.deepEqual(
      ledger.releasable().map((c) => c.chunk),
      [2],
    );
    assert.equal(ledger.complete, true);
  });

  it('writes a zero-byte file as one empty single part', () => {
    for (const chunks of [0, 1]) {
      const ledger = new UploadLedger({ policy, checksumMode: 'crc64nvme' });
      if (chunks === 1) ledger.addChunk(facts(0, 0));
      assert.deepEqual(ledger.dirtyParts, []);
      ledger.seal(chunks);
      const work = ledger.partWork(1)!;
      assert.deepEqual([work.upload, work.start, work.end, work.pieces.length], ['single', 0, 0, 0]);
      assert.equal(ledger.wholeCrcs().crc64nvme, crc64nvme(Buffer.alloc(0)));
      ledger.markStored(stored(work));
      assert.equal(ledger.complete, true);
    }
  });

  it('cuts parts out of order when the chunk size is fixed', () => {
    const ledger = new UploadLedger({ policy, fixedChunkSize: MiB, checksumMode: 'none' });
    for (let n = 10; n < 15; n++) ledger.addChunk(facts(n, MiB));
    assert.deepEqual(ledger.dirtyParts, [3], 'chunks 10-14 are exactly part 3');
  });
});

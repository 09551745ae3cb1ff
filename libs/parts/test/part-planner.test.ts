import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ChunkLayoutError,
  FileTooLargeError,
  MiB,
  PartPlanner,
  isChunkAligned,
  validatePartSizePolicy,
  type ReadyPart,
} from '../src/index.ts';

const P = 5 * MiB;
const fixedPolicy = validatePartSizePolicy({ kind: 'fixed', partSize: P });

function summary(parts: readonly ReadyPart[]): string[] {
  return parts.map((p) => `${p.upload} ${p.partNumber} [${p.start}, ${p.end})`);
}

describe('PartPlanner', () => {
  it('sends a zero-byte file as one empty PutObject', () => {
    const planner = new PartPlanner({ policy: fixedPolicy });
    assert.equal(planner.plan, 'pending');
    planner.seal(0);
    const [part, ...rest] = planner.takeReady();
    assert.deepEqual(rest, []);
    assert.deepEqual(part, {
      partNumber: 1,
      start: 0,
      end: 0,
      upload: 'single',
      segments: [],
      chunkAligned: true,
    });
    assert.equal(planner.partCount, 1);
  });

  it('sends a file of one empty chunk as one empty PutObject', () => {
    const planner = new PartPlanner({ policy: fixedPolicy });
    planner.addChunk(0, 0);
    assert.deepEqual(planner.takeReady(), []);
    planner.seal(1);
    assert.deepEqual(summary(planner.takeReady()), ['single 1 [0, 0)']);
  });

  it('holds back part 1 while the file might still fit it, then sends a single PutObject', () => {
    const planner = new PartPlanner({ policy: fixedPolicy });
    planner.addChunk(0, P);
    assert.equal(planner.plan, 'pending');
    assert.deepEqual(planner.takeReady(), []);
    planner.seal(1);
    const parts = planner.takeReady();
    assert.deepEqual(summary(parts), [`single 1 [0, ${P})`]);
    assert.equal(parts[0]!.chunkAligned, true);
  });

  it('releases part 1 as a multipart part once a byte past it is known', () => {
    const planner = new PartPlanner({ policy: fixedPolicy });
    planner.addChunk(0, P);
    assert.deepEqual(planner.takeReady(), []);
    planner.addChunk(1, 1);
    assert.equal(planner.plan, 'multipart');
    assert.deepEqual(summary(planner.takeReady()), [`multipart 1 [0, ${P})`]);
    planner.seal(2);
    assert.deepEqual(summary(planner.takeReady()), [`multipart 2 [${P}, ${P + 1})`]);
    assert.equal(planner.partCount, 2);
  });

  it('knows a file is multipart from chunks beyond a gap, before part 1 is complete', () => {
    const planner = new PartPlanner({ policy: fixedPolicy });
    planner.addChunk(1, P);
    planner.addChunk(2, P);
    assert.equal(planner.plan, 'multipart');
    assert.deepEqual(planner.takeReady(), []);
    planner.addChunk(0, 3);
    // Offsets are now known: parts 1 and 2 are whole.
    assert.deepEqual(summary(planner.takeReady()), [`multipart 1 [0, ${P})`, `multipart 2 [${P}, ${2 * P})`]);
  });

  it('cuts parts across runs of 1-byte chunks', () => {
    const planner = new PartPlanner({ policy: fixedPolicy });
    const sizes = [P - 3, 1, 1, 1, 1, 1, P - 2, 1];
    sizes.forEach((size, n) => planner.addChunk(n, size));
    planner.seal(sizes.length);
    const [first, second, third] = planner.takeReady();
    assert.deepEqual(
      first!.segments.map((s) => [s.chunkNumber, s.offsetInChunk, s.length]),
      [
        [0, 0, P - 3],
        [1, 0, 1],
        [2, 0, 1],
        [3, 0, 1],
      ],
    );
    assert.deepEqual(
      second!.segments.map((s) => [s.chunkNumber, s.offsetInChunk, s.length]),
      [
        [4, 0, 1],
        [5, 0, 1],
        [6, 0, P - 2],
      ],
    );
    assert.equal(first!.chunkAligned && second!.chunkAligned, true);
    assert.deepEqual(summary([third!]), [`multipart 3 [${2 * P}, ${2 * P + 1})`]);
  });

  it('splits a chunk larger than a part across parts, none of them chunk-aligned', () => {
    const planner = new PartPlanner({ policy: fixedPolicy });
    planner.addChunk(0, 2 * P + 100);
    planner.addChunk(1, 7);
    const parts = planner.takeReady();
    assert.deepEqual(summary(parts), [`multipart 1 [0, ${P})`, `multipart 2 [${P}, ${2 * P})`]);
    assert.deepEqual(parts[1]!.segments, [
      { chunkNumber: 0, offsetInChunk: P, length: P, chunkSize: 2 * P + 100 },
    ]);
    assert.equal(parts[1]!.chunkAligned, false);
    planner.seal(2);
    const [last] = planner.takeReady();
    assert.deepEqual(last!.segments, [
      { chunkNumber: 0, offsetInChunk: 2 * P, length: 100, chunkSize: 2 * P + 100 },
      { chunkNumber: 1, offsetInChunk: 0, length: 7, chunkSize: 7 },
    ]);
    assert.equal(isChunkAligned(last!.segments), false);
  });

  it('cuts parts out of order when the chunk size is declared', () => {
    const planner = new PartPlanner({ policy: fixedPolicy, fixedChunkSize: MiB });
    for (const n of [9, 5, 7, 6, 8]) planner.addChunk(n, MiB);
    assert.deepEqual(summary(planner.takeReady()), [`multipart 2 [${P}, ${2 * P})`]);
    assert.equal(planner.chunkOffset(7), 7 * MiB);
    assert.deepEqual(planner.partsOfChunk(7), [2]);
    for (const n of [0, 1, 2, 3, 4]) planner.addChunk(n, MiB);
    assert.deepEqual(summary(planner.takeReady()), [`multipart 1 [0, ${P})`]);
    assert.equal(planner.contiguousChunks, 10);
    assert.equal(planner.contiguousBytes, 10 * MiB);
  });

  it('waits for the seal before sending a last part that ends at a full-size chunk', () => {
    const planner = new PartPlanner({ policy: fixedPolicy, fixedChunkSize: 2 * MiB });
    for (const n of [0, 1, 2, 3]) planner.addChunk(n, 2 * MiB);
    assert.deepEqual(summary(planner.takeReady()), [`multipart 1 [0, ${P})`]);
    planner.seal(4);
    assert.deepEqual(summary(planner.takeReady()), [`multipart 2 [${P}, ${8 * MiB})`]);
  });

  it('takes a repeated chunk with the same size as a no-op, and refuses a different size', () => {
    const planner = new PartPlanner({ policy: fixedPolicy });
    planner.addChunk(0, 10);
    planner.addChunk(0, 10);
    assert.equal(planner.knownBytes, 10);
    assert.throws(() => planner.addChunk(0, 11), { code: 'CHUNK_CONFLICT' });
  });

  it('refuses chunks that break the declared fixed chunk size', () => {
    const planner = new PartPlanner({ policy: fixedPolicy, fixedChunkSize: 100 });
    assert.throws(() => planner.addChunk(0, 101), ChunkLayoutError);
    planner.addChunk(3, 50);
    assert.throws(() => planner.addChunk(4, 100), /follows chunk 3/);
    assert.throws(() => planner.addChunk(2, 10), /must be the last chunk/);
    assert.throws(() => planner.seal(5), /chunk 4 exists|must be the last one/);
    assert.throws(() => planner.seal(3), { code: 'INVALID_CHUNK_NUMBER' });
    planner.seal(4);
    assert.throws(() => planner.addChunk(4, 100), { code: 'INVALID_CHUNK_NUMBER' });
  });

  it('refuses a chunk past the sealed count and a second seal with another count', () => {
    const planner = new PartPlanner({ policy: fixedPolicy });
    planner.seal(2);
    planner.seal(2);
    assert.throws(() => planner.addChunk(2, 1), /past the end: the upload was sealed with 2 chunks/);
    assert.throws(() => planner.seal(3), ChunkLayoutError);
    assert.throws(() => planner.addChunk(-1, 1), { code: 'INVALID_CHUNK_NUMBER' });
  });

  it('refuses bytes past the policy’s largest file, before taking them', () => {
    const planner = new PartPlanner({ policy: fixedPolicy, fixedChunkSize: MiB });
    assert.throws(() => planner.addChunk(50_000, 1), FileTooLargeError);
    planner.addChunk(49_999, MiB);
    assert.equal(planner.knownBytes, MiB);
    const varying = new PartPlanner({ policy: fixedPolicy });
    varying.addChunk(0, 10_000 * P);
    assert.throws(() => varying.addChunk(1, 1), FileTooLargeError);
    assert.equal(varying.knownBytes, 10_000 * P);
  });

  it('fits a 1 TiB file in at most 10,000 growing parts', () => {
    const policy = validatePartSizePolicy({ kind: 'growing', partSize: 16 * MiB });
    const planner = new PartPlanner({ policy, fixedChunkSize: 64 * MiB });
    const chunks = (1024 * 1024) / 64;
    for (let n = chunks - 1; n >= 0; n--) planner.addChunk(n, 64 * MiB);
    planner.seal(chunks);
    const parts = planner.takeReady();
    assert.equal(parts.length, 4012);
    assert.equal(planner.partCount, 4012);
    assert.equal(parts.at(-1)!.end, 1024 ** 4);
  });
});

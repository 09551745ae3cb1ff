import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MiB, readyParts, validatePartSizePolicy } from '../src/index.ts';

const policy = validatePartSizePolicy({ kind: 'fixed', partSize: 5 * MiB });

describe('readyParts', () => {
  it('says nothing is ready while the upload kind is unknown', () => {
    const work = readyParts({ policy, chunkSizes: new Map([[0, MiB]]) });
    assert.deepEqual(work, { plan: 'pending', parts: [], partCount: undefined, totalSize: undefined });
  });

  it('returns the ready parts not yet taken, with their segments', () => {
    const chunkSizes = new Map([
      [0, 4 * MiB],
      [1, 4 * MiB],
      [2, 4 * MiB],
    ]);
    const open = readyParts({ policy, chunkSizes, taken: new Set() });
    assert.equal(open.plan, 'multipart');
    assert.deepEqual(
      open.parts.map((p) => [
        p.partNumber,
        p.segments.map((s) => [s.chunkNumber, s.offsetInChunk, s.length]),
      ]),
      [
        [
          1,
          [
            [0, 0, 4 * MiB],
            [1, 0, MiB],
          ],
        ],
        [
          2,
          [
            [1, MiB, 3 * MiB],
            [2, 0, 2 * MiB],
          ],
        ],
      ],
    );
    const sealed = readyParts({ policy, chunkSizes, totalChunks: 3, taken: new Set([1, 2]) });
    assert.deepEqual(
      sealed.parts.map((p) => [p.partNumber, p.start, p.end]),
      [[3, 10 * MiB, 12 * MiB]],
    );
    assert.equal(sealed.partCount, 3);
    assert.equal(sealed.totalSize, 12 * MiB);
  });

  it('with a declared chunk size, cuts a part whose chunks arrived before earlier ones', () => {
    const work = readyParts({
      policy,
      fixedChunkSize: 5 * MiB,
      chunkSizes: new Map([[3, 5 * MiB]]),
    });
    assert.deepEqual(
      work.parts.map((p) => [p.partNumber, p.chunkAligned]),
      [[4, true]],
    );
  });
});

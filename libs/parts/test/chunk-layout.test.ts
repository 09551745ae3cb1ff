import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chunkLayout, partNeighbours } from '../src/index.ts';

describe('chunkLayout', () => {
  it('finds the contiguous prefix of chunks known in any order, and their offsets', () => {
    const sizes = new Map([
      [2, 30],
      [0, 10],
      [1, 20],
      [4, 50],
    ]);
    const layout = chunkLayout(sizes);
    assert.equal(layout.contiguousChunks, 3);
    assert.equal(layout.contiguousBytes, 60);
    assert.deepEqual(
      [...layout.offsets].sort((a, b) => a[0] - b[0]),
      [
        [0, 0],
        [1, 10],
        [2, 30],
      ],
    );
  });

  it('knows every offset at once with a declared fixed chunk size', () => {
    const layout = chunkLayout(
      new Map([
        [7, 100],
        [1, 100],
      ]),
      100,
    );
    assert.equal(layout.contiguousChunks, 0);
    assert.equal(layout.offsets.get(7), 700);
    assert.equal(layout.offsets.get(1), 100);
  });

  it('has an empty prefix when chunk 0 is missing, and handles empty chunks', () => {
    assert.equal(chunkLayout(new Map([[1, 5]])).contiguousChunks, 0);
    const layout = chunkLayout(
      new Map([
        [0, 0],
        [1, 4],
      ]),
    );
    assert.deepEqual([layout.contiguousChunks, layout.contiguousBytes, layout.offsets.get(1)], [2, 4, 0]);
  });
});

describe('partNeighbours', () => {
  const M = 1024 * 1024;
  const policy = { kind: 'fixed', partSize: 10 * M } as const;

  it('finds the parts a chunk falls in and the chunks sharing them', () => {
    // Chunks of 4 MiB: chunk 2 covers MiB 8–12, in parts 1 (MiB 0–10) and 2 (MiB 10–20).
    const sizes = new Map([0, 1, 2, 3, 4, 5].map((n) => [n, 4 * M]));
    assert.deepEqual(partNeighbours(sizes, 2, policy), { firstPart: 1, lastPart: 2, chunks: [0, 1, 3, 4] });
    assert.deepEqual(partNeighbours(sizes, 0, policy), { firstPart: 1, lastPart: 1, chunks: [1, 2] });
  });

  it('knows nothing of a chunk behind a gap unless chunk sizes are fixed', () => {
    const sizes = new Map([
      [0, 4 * M],
      [2, 4 * M],
      [3, 4 * M],
    ]);
    assert.equal(partNeighbours(sizes, 2, policy), undefined);
    assert.deepEqual(partNeighbours(sizes, 2, policy, 4 * M), { firstPart: 1, lastPart: 2, chunks: [0, 3] });
  });

  it('puts an empty chunk in no part', () => {
    const sizes = new Map([
      [0, 4 * M],
      [1, 0],
      [2, 4 * M],
    ]);
    assert.equal(partNeighbours(sizes, 1, policy), undefined);
    assert.deepEqual(partNeighbours(sizes, 0, policy)?.chunks, [2]);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chunkLayout } from '../src/index.ts';

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

/**
 * Where chunks sit in the file. Chunk n starts where chunk n-1 ends, so with varying chunk sizes
 * an offset is known only once every chunk before it is known: the contiguous prefix. A client
 * that declares a fixed chunk size makes every offset known at once: chunk n starts at n × size.
 */

/** Offsets that the known chunks determine. */
export interface ChunkLayout {
  /** Chunks 0..contiguousChunks-1 are all known; chunk contiguousChunks is not. */
  readonly contiguousChunks: number;
  /** Bytes in those chunks: the file's known contiguous prefix. */
  readonly contiguousBytes: number;
  /** Byte offset of each known chunk whose offset is determined. */
  readonly offsets: ReadonlyMap<number, number>;
}

/**
 * The contiguous prefix of `chunkSizes` (chunk number → size, in any order) and the offsets it
 * determines. With `fixedChunkSize`, every known chunk's offset is determined.
 */
export function chunkLayout(chunkSizes: ReadonlyMap<number, number>, fixedChunkSize?: number): ChunkLayout {
  const offsets = new Map<number, number>();
  let contiguousChunks = 0;
  let contiguousBytes = 0;
  for (let size = chunkSizes.get(0); size !== undefined; size = chunkSizes.get(contiguousChunks)) {
    offsets.set(contiguousChunks, contiguousBytes);
    contiguousBytes += size;
    contiguousChunks++;
  }
  if (fixedChunkSize !== undefined) {
    for (const chunkNumber of chunkSizes.keys()) offsets.set(chunkNumber, chunkNumber * fixedChunkSize);
  }
  return { contiguousChunks, contiguousBytes, offsets };
}

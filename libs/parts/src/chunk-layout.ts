/**
 * Where chunks sit in the file. Chunk n starts where chunk n-1 ends, so with varying chunk sizes
 * an offset is known only once every chunk before it is known: the contiguous prefix. A client
 * that declares a fixed chunk size makes every offset known at once: chunk n starts at n × size.
 */
import { partForOffset } from './part-schedule.ts';
import type { PartSizePolicy } from './part-size-policy.ts';

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

/** The parts a chunk falls in, and the other chunks that share them. */
export interface PartNeighbours {
  /** First and last part holding the chunk. */
  readonly firstPart: number;
  readonly lastPart: number;
  /** Other non-empty chunks with bytes in those parts, by chunk number. */
  readonly chunks: readonly number[];
}

/**
 * Which parts hold chunk `chunk` and which other chunks share them, from the known chunk sizes
 * (chunk number → size) and the part size policy; undefined while the chunk's offset is not
 * known yet (a gap before it) or when it is empty, since it is then in no part.
 */
export function partNeighbours(
  chunkSizes: ReadonlyMap<number, number>,
  chunk: number,
  policy: PartSizePolicy,
  fixedChunkSize?: number,
): PartNeighbours | undefined {
  const size = chunkSizes.get(chunk) ?? 0;
  const layout = chunkLayout(chunkSizes, fixedChunkSize);
  const offset = layout.offsets.get(chunk);
  if (offset === undefined || size === 0) return undefined;
  const first = partForOffset(policy, offset);
  const last = partForOffset(policy, offset + size - 1);
  const chunks: number[] = [];
  for (const [n, at] of layout.offsets) {
    const bytes = chunkSizes.get(n) ?? 0;
    if (n !== chunk && bytes > 0 && at < last.end && at + bytes > first.start) chunks.push(n);
  }
  return { firstPart: first.partNumber, lastPart: last.partNumber, chunks: chunks.sort((a, b) => a - b) };
}

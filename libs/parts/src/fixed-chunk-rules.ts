import { ChunkLayoutError } from './errors.ts';

/**
 * What a declared fixed chunk size promises: every chunk has exactly that many bytes except the
 * last, which may have fewer (or none). So a short chunk is the last one, and nothing may follow it.
 */

/** A chunk about to be recorded, and what is already known. */
export interface FixedChunkFacts {
  readonly chunkNumber: number;
  readonly size: number;
  readonly fixedChunkSize: number;
  /** The known chunk with fewer bytes than the fixed size, if any. */
  readonly shortChunk: number | undefined;
  /** The highest known chunk number, -1 when none. */
  readonly highestChunk: number;
  readonly totalChunks: number | undefined;
}

/** Throws ChunkLayoutError when the chunk breaks the fixed chunk size promise. */
export function checkFixedChunk(facts: FixedChunkFacts): void {
  const {
    chunkNumber,
    size,
    fixedChunkSize: fixed,
    shortChunk: short,
    highestChunk,
    totalChunks: total,
  } = facts;
  if (size > fixed) {
    throw new ChunkLayoutError(
      `chunk ${chunkNumber} has ${size} bytes, more than the upload's fixed chunk size of ${fixed}`,
    );
  }
  if (size === fixed) {
    if (short !== undefined && chunkNumber > short) {
      throw new ChunkLayoutError(
        `chunk ${chunkNumber} follows chunk ${short}, which is shorter than the fixed chunk size and so must be the last`,
      );
    }
    return;
  }
  const reason =
    highestChunk > chunkNumber
      ? `chunk ${highestChunk} exists`
      : short !== undefined && short !== chunkNumber
        ? `chunk ${short} is shorter too`
        : total !== undefined && chunkNumber !== total - 1
          ? `the upload has ${total} chunks`
          : undefined;
  if (reason !== undefined) {
    throw new ChunkLayoutError(
      `chunk ${chunkNumber} has ${size} bytes, less than the fixed chunk size of ${fixed}, so it must be the ` +
        `last chunk, but ${reason}`,
    );
  }
}

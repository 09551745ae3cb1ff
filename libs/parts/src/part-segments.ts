import type { PartRange, UploadKind } from './part-schedule.ts';

/** Bytes of one chunk that belong to a part: read them at [offsetInChunk, offsetInChunk + length). */
export interface ChunkSegment {
  readonly chunkNumber: number;
  readonly offsetInChunk: number;
  readonly length: number;
  /** The chunk's whole size; the segment is the whole chunk when it starts at 0 and has this length. */
  readonly chunkSize: number;
}

/** A part whose bytes are all staged and that can be written now. */
export interface ReadyPart extends PartRange {
  /** `single`: PutObject of the whole file (part 1, ending at the file's end); `multipart`: UploadPart. */
  readonly upload: UploadKind;
  /** The chunk bytes that make up the part, in order; they tile [start, end) exactly. */
  readonly segments: readonly ChunkSegment[];
  /**
   * True when the part starts and ends on chunk boundaries, so its CRC combines from the chunk
   * CRCs. Otherwise combine the whole chunks and compute only the partial segments from bytes.
   */
  readonly chunkAligned: boolean;
}

/** Whether every segment is a whole chunk, so the part's CRC combines from chunk CRCs alone. */
export function isChunkAligned(segments: readonly ChunkSegment[]): boolean {
  return segments.every((s) => s.offsetInChunk === 0 && s.length === s.chunkSize);
}

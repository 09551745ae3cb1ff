import { ConflictError, InternalError } from '@sluice/errors';
import { ChunkLayoutError } from './errors.ts';
import { checkFixedChunk } from './fixed-chunk-rules.ts';
import {
  checkFileSize,
  partForOffset,
  partRange,
  partSizeOf,
  planKind,
  type ByteRange,
  type PartRange,
  type UploadKind,
} from './part-schedule.ts';
import { validatePartSizePolicy, type PartSizePolicy } from './part-size-policy.ts';
import { isChunkAligned, type ChunkSegment, type ReadyPart } from './part-segments.ts';
import { S3_LIMITS } from './s3-limits.ts';

/** How the upload will go up, as far as is known: `pending` until the file is proven larger than part 1 or its size is known. */
export type PlanState = UploadKind | 'pending';

/** Options of a PartPlanner. */
export interface PartPlannerOptions {
  readonly policy: PartSizePolicy;
  /** Declared by the client: every chunk but the last has exactly this many bytes (so parts can be cut out of order). */
  readonly fixedChunkSize?: number;
}

/**
 * Turns chunks, arriving in any order and possibly more than once, into parts ready to write.
 * Pure bookkeeping, no I/O; the work per chunk is proportional to the parts it touches, so a
 * part-writer can keep one planner per upload it owns and rebuild it from stored state.
 *
 * A part is ready when every byte of its range is known (the last part: once the file's size is
 * known at seal) and the upload is known to be multipart, that is, some known byte lies past part
 * 1. A file whose size turns out to fit part 1 is one `single` ready part instead. Each part is
 * handed out once by `takeReady()`; parts already stored are the caller's to skip.
 */
export class PartPlanner {
  readonly policy: PartSizePolicy;
  readonly fixedChunkSize: number | undefined;
  readonly #sizes = new Map<number, number>();
  #knownBytes = 0;
  #highestChunk = -1;
  #totalChunks: number | undefined;
  // The contiguous prefix and each prefix chunk's offset; with varying chunk sizes, also the
  // first part not yet seen to lie inside the prefix.
  #prefixChunks = 0;
  #prefixBytes = 0;
  readonly #prefixOffsets: number[] = [];
  #nextUncoveredPart = 1;
  // Fixed chunk size: known chunks touching each part, the furthest known byte, the short chunk.
  readonly #chunksInPart = new Map<number, number>();
  #extentEnd = 0;
  #shortChunk: number | undefined;
  readonly #handedOut = new Set<number>();
  #queue: number[] = [];

  constructor(options: PartPlannerOptions) {
    this.policy = validatePartSizePolicy(options.policy);
    const fixed = options.fixedChunkSize;
    if (fixed !== undefined && (!Number.isSafeInteger(fixed) || fixed < 1)) {
      throw new ChunkLayoutError(`a fixed chunk size must be a positive whole number of bytes, not ${fixed}`);
    }
    this.fixedChunkSize = fixed;
  }

  /** Bytes in all known chunks. */
  get knownBytes(): number {
    return this.#knownBytes;
  }

  /** Chunks 0..n-1 are all known. */
  get contiguousChunks(): number {
    return this.#prefixChunks;
  }

  /** Bytes in chunks 0..contiguousChunks-1: the file's known contiguous prefix. */
  get contiguousBytes(): number {
    return this.#prefixBytes;
  }

  /** The chunk count the upload was sealed with, if sealed. */
  get totalChunks(): number | undefined {
    return this.#totalChunks;
  }

  /** The file's size, once sealed and every chunk that decides it is known. */
  get totalSize(): number | undefined {
    const total = this.#totalChunks;
    if (total === undefined) return undefined;
    if (total === 0) return 0;
    const fixed = this.fixedChunkSize;
    if (fixed === undefined) return this.#prefixChunks === total ? this.#prefixBytes : undefined;
    const lastSize = this.#sizes.get(total - 1);
    return lastSize === undefined ? undefined : (total - 1) * fixed + lastSize;
  }

  /** Single PutObject, multipart, or not yet known. */
  get plan(): PlanState {
    const total = this.totalSize;
    if (total !== undefined) return planKind(this.policy, total);
    const firstPart = partSizeOf(this.policy, 1);
    return this.#knownBytes > firstPart || this.#extentEnd > firstPart ? 'multipart' : 'pending';
  }

  /** How many parts the file has, once its size is known (1 for a single PutObject). */
  get partCount(): number | undefined {
    const total = this.totalSize;
    if (total === undefined) return undefined;
    return planKind(this.policy, total) === 'single' ? 1 : partForOffset(this.policy, total - 1).partNumber;
  }

  /** The byte offset of chunk n, when determined. */
  chunkOffset(chunkNumber: number): number | undefined {
    if (this.fixedChunkSize !== undefined) return chunkNumber * this.fixedChunkSize;
    if (chunkNumber === this.#prefixChunks) return this.#prefixBytes;
    return this.#prefixOffsets[chunkNumber];
  }

  /** The parts holding bytes of chunk n (for rewriting them after a forced replacement of equal size). */
  partsOfChunk(chunkNumber: number): number[] {
    const offset = this.chunkOffset(chunkNumber);
    const size = this.#sizes.get(chunkNumber);
    if (offset === undefined || size === undefined || size === 0) return [];
    const first = partForOffset(this.policy, offset).partNumber;
    const last = partForOffset(this.policy, offset + size - 1).partNumber;
    return Array.from({ length: last - first + 1 }, (_, i) => first + i);
  }

  /**
   * Records chunk n's size. Repeating a known chunk with the same size does nothing (events are
   * delivered at least once); a different size throws CHUNK_CONFLICT.
   */
  addChunk(chunkNumber: number, size: number): void {
    this.#checkChunk(chunkNumber, size);
    const known = this.#sizes.get(chunkNumber);
    if (known === size) return;
    if (known !== undefined) {
      throw new ConflictError(
        'CHUNK_CONFLICT',
        `chunk ${chunkNumber} was recorded with ${known} bytes and now arrives with ${size}: ` +
          `a replaced chunk must keep its size once parts may have been cut from it`,
      );
    }
    this.#sizes.set(chunkNumber, size);
    this.#knownBytes += size;
    this.#highestChunk = Math.max(this.#highestChunk, chunkNumber);
    this.#advancePrefix();
    if (this.fixedChunkSize !== undefined) this.#placeFixedChunk(chunkNumber, size, this.fixedChunkSize);
    this.#reconsiderEnds();
  }

  /** Records that the upload has exactly `totalChunks` chunks. Repeating it with the same count does nothing. */
  seal(totalChunks: number): void {
    if (!Number.isSafeInteger(totalChunks) || totalChunks < 0) {
      throw new ChunkLayoutError(`a chunk count must be a non-negative whole number, not ${totalChunks}`);
    }
    if (this.#totalChunks !== undefined) {
      if (this.#totalChunks === totalChunks) return;
      throw new ChunkLayoutError(
        `the upload was sealed with ${this.#totalChunks} chunks and cannot be sealed again with ${totalChunks}`,
      );
    }
    if (totalChunks <= this.#highestChunk) {
      throw new ChunkLayoutError(
        `the upload cannot be sealed with ${totalChunks} chunks: chunk ${this.#highestChunk} exists`,
        'INVALID_CHUNK_NUMBER',
      );
    }
    const fixed = this.fixedChunkSize;
    if (fixed !== undefined) {
      if (this.#shortChunk !== undefined && this.#shortChunk !== totalChunks - 1) {
        throw new ChunkLayoutError(
          `the upload cannot be sealed with ${totalChunks} chunks: chunk ${this.#shortChunk} is shorter ` +
            `than the fixed chunk size ${fixed}, so it must be the last one`,
        );
      }
      checkFileSize(this.policy, Math.max(0, totalChunks - 1) * fixed);
    }
    this.#totalChunks = totalChunks;
    this.#reconsiderEnds();
  }

  /** Parts that became ready since the last call, in part order; each part is returned once. */
  takeReady(): ReadyPart[] {
    if (this.#queue.length === 0) return [];
    const numbers = this.#queue.sort((a, b) => a - b);
    this.#queue = [];
    const upload = this.plan;
    if (upload === 'pending') throw new InternalError('a part was queued before the upload kind was known');
    return numbers.map((partNumber) => {
      const range = this.#rangeOf(partNumber);
      const segments = this.segmentsOf(range);
      return {
        partNumber,
        start: range.start,
        end: range.end,
        upload,
        segments,
        chunkAligned: isChunkAligned(segments),
      };
    });
  }

  /** The chunk segments that tile `range`, whose bytes must all be known. */
  segmentsOf(range: ByteRange): ChunkSegment[] {
    const segments: ChunkSegment[] = [];
    const fixed = this.fixedChunkSize;
    const push = (chunkNumber: number, chunkStart: number, chunkSize: number): void => {
      const from = Math.max(range.start, chunkStart);
      const to = Math.min(range.end, chunkStart + chunkSize);
      if (to > from)
        segments.push({ chunkNumber, offsetInChunk: from - chunkStart, length: to - from, chunkSize });
    };
    if (range.end <= range.start) return segments;
    if (fixed !== undefined) {
      const last = Math.floor((range.end - 1) / fixed);
      for (let chunk = Math.floor(range.start / fixed); chunk <= last; chunk++) {
        push(chunk, chunk * fixed, this.#sizeOf(chunk));
      }
    } else {
      if (range.end > this.#prefixBytes)
        throw new InternalError(`bytes up to ${range.end} are not all known yet`);
      for (let chunk = this.#firstPrefixChunkAt(range.start); chunk < this.#prefixChunks; chunk++) {
        const chunkStart = this.#prefixOffsets[chunk]!;
        if (chunkStart >= range.end) break;
        push(chunk, chunkStart, this.#sizeOf(chunk));
      }
    }
    return segments;
  }

  #sizeOf(chunkNumber: number): number {
    const size = this.#sizes.get(chunkNumber);
    if (size === undefined) throw new InternalError(`chunk ${chunkNumber} is not known yet`);
    return size;
  }

  /** The last prefix chunk starting at or before `offset`, which holds it (prefix offsets ascend). */
  #firstPrefixChunkAt(offset: number): number {
    let low = 0;
    let high = this.#prefixChunks - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.#prefixOffsets[middle]! <= offset) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  #checkChunk(chunkNumber: number, size: number): void {
    if (!Number.isSafeInteger(chunkNumber) || chunkNumber < 0) {
      throw new ChunkLayoutError(
        `chunk numbers are whole numbers from 0, not ${chunkNumber}`,
        'INVALID_CHUNK_NUMBER',
      );
    }
    if (!Number.isSafeInteger(size) || size < 0) {
      throw new ChunkLayoutError(`chunk ${chunkNumber} has an invalid size ${size}`);
    }
    const total = this.#totalChunks;
    if (total !== undefined && chunkNumber >= total) {
      throw new ChunkLayoutError(
        `chunk ${chunkNumber} is past the end: the upload was sealed with ${total} chunks (0 to ${total - 1})`,
        'INVALID_CHUNK_NUMBER',
      );
    }
    if (this.#sizes.has(chunkNumber)) return;
    const fixed = this.fixedChunkSize;
    if (fixed !== undefined) {
      checkFixedChunk({
        chunkNumber,
        size,
        fixedChunkSize: fixed,
        shortChunk: this.#shortChunk,
        highestChunk: this.#highestChunk,
        totalChunks: this.#totalChunks,
      });
      checkFileSize(this.policy, chunkNumber * fixed + size);
    }
    checkFileSize(this.policy, this.#knownBytes + size);
  }

  #advancePrefix(): void {
    for (
      let size = this.#sizes.get(this.#prefixChunks);
      size !== undefined;
      size = this.#sizes.get(this.#prefixChunks)
    ) {
      // With a fixed chunk size offsets are computed, not looked up.
      if (this.fixedChunkSize === undefined) this.#prefixOffsets.push(this.#prefixBytes);
      this.#prefixBytes += size;
      this.#prefixChunks++;
    }
    if (this.fixedChunkSize !== undefined) return;
    this.#extentEnd = this.#prefixBytes;
    while (this.#nextUncoveredPart <= S3_LIMITS.maxParts) {
      if (partRange(this.policy, this.#nextUncoveredPart).end > this.#prefixBytes) break;
      this.#consider(this.#nextUncoveredPart);
      this.#nextUncoveredPart++;
    }
  }

  #placeFixedChunk(chunkNumber: number, size: number, fixed: number): void {
    if (size < fixed) this.#shortChunk = chunkNumber;
    if (size === 0) return;
    const start = chunkNumber * fixed;
    this.#extentEnd = Math.max(this.#extentEnd, start + size);
    const first = partForOffset(this.policy, start).partNumber;
    const last = partForOffset(this.policy, start + size - 1).partNumber;
    for (let part = first; part <= last; part++) {
      this.#chunksInPart.set(part, (this.#chunksInPart.get(part) ?? 0) + 1);
      this.#consider(part);
    }
  }

  /** Part 1 and the last part wait on facts other than their own bytes: the upload kind and the file's end. */
  #reconsiderEnds(): void {
    this.#consider(1);
    const count = this.partCount;
    if (count !== undefined) this.#consider(count);
  }

  #consider(partNumber: number): void {
    if (this.#handedOut.has(partNumber) || !this.#eligible(partNumber) || !this.#covered(partNumber)) return;
    this.#handedOut.add(partNumber);
    this.#queue.push(partNumber);
  }

  /** Parts past the file's end never count as covered, so only the upload kind matters here. */
  #eligible(partNumber: number): boolean {
    const plan = this.plan;
    return plan === 'multipart' || (plan === 'single' && partNumber === 1);
  }

  /** The part's range, cut at the file's end when that is known. */
  #rangeOf(partNumber: number): PartRange {
    const range = partRange(this.policy, partNumber);
    const total = this.totalSize;
    return total === undefined || range.end <= total ? range : { ...range, end: total };
  }

  #covered(partNumber: number): boolean {
    const range = this.#rangeOf(partNumber);
    if (range.end <= range.start) return this.totalSize === 0 && partNumber === 1;
    const fixed = this.fixedChunkSize;
    if (fixed === undefined) return range.end <= this.#prefixBytes;
    const firstChunk = Math.floor(range.start / fixed);
    const lastChunk = Math.floor((range.end - 1) / fixed);
    if ((this.#chunksInPart.get(partNumber) ?? 0) !== lastChunk - firstChunk + 1) return false;
    // A short chunk leaves a gap after it unless the file ends there.
    const short = this.#shortChunk;
    if (short === undefined || short < firstChunk || short > lastChunk) return true;
    return short * fixed + this.#sizeOf(short) >= range.end;
  }
}

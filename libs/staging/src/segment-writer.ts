import { randomBytes } from 'node:crypto';
import { segmentCount } from './keys.ts';
import type { ChunkRecord } from './records.ts';
import type {
  ChunkContent,
  ChunkWrite,
  ChunkWriteOptions,
  CommitResult,
  StagedSegments,
  StagingStore,
} from './staging-store.ts';

/** Segment writes one chunk keeps in flight (16 × 1 MiB). */
export const MAX_SEGMENT_WRITES = 16;

/** What a {@link SegmentWriter} needs of its store: the store's own methods, and how one segment is sent. */
export type SegmentSink = Pick<StagingStore, 'keys' | 'segmentSize' | 'deleteSegments' | 'commitChunk'> & {
  /** Sends segment `index` of the write under `prefix`. */
  writeSegment(prefix: string, index: number, segment: Buffer): Promise<void>;
};

/** A fresh write id: 12 hex digits, unique enough among one chunk's writes. */
export function newWriteId(): string {
  return randomBytes(6).toString('hex');
}

/**
 * The {@link ChunkWrite} of every store: cuts bytes into segments of the store's size, with no
 * copy when frames line up with segments, and keeps at most {@link MAX_SEGMENT_WRITES} segment
 * writes in flight. The store only says how one segment is sent and how a record is committed.
 */
export class SegmentWriter implements ChunkWrite {
  readonly writeId = newWriteId();
  readonly prefix: string;
  readonly #sink: SegmentSink;
  readonly #options: ChunkWriteOptions;
  readonly #uploadId: string;
  readonly #chunk: number;
  /** Bytes of the segment being filled (only when frames don't line up with segments). */
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #segments = 0;
  #bytes = 0;
  #writes: Promise<void>[] = [];
  /** Once a record names the segments, they are the chunk's and no abort may drop them. */
  #committed = false;

  constructor(sink: SegmentSink, uploadId: string, chunk: number, options: ChunkWriteOptions) {
    this.#sink = sink;
    this.#options = options;
    this.#uploadId = uploadId;
    this.#chunk = chunk;
    this.prefix = sink.keys.segmentPrefix(uploadId, chunk, this.writeId);
  }

  get bytes(): number {
    return this.#bytes;
  }

  async write(data: Buffer): Promise<void> {
    this.#bytes += data.length;
    const size = this.#sink.segmentSize;
    let offset = 0;
    while (offset < data.length) {
      const piece = data.subarray(offset, offset + size - this.#pendingBytes);
      offset += piece.length;
      this.#pending.push(piece);
      this.#pendingBytes += piece.length;
      if (this.#pendingBytes === size) await this.#flush();
    }
  }

  async #flush(): Promise<void> {
    if (this.#pendingBytes === 0) return;
    this.#options.beforeSegment?.();
    const segment =
      this.#pending.length === 1
        ? (this.#pending[0] as Buffer)
        : Buffer.concat(this.#pending, this.#pendingBytes);
    const index = this.#segments++;
    this.#pending = [];
    this.#pendingBytes = 0;
    const write = this.#sink.writeSegment(this.prefix, index, segment);
    // Awaited below or in commit/abort; until then a failure must not count as unhandled.
    write.catch(() => undefined);
    this.#writes.push(write);
    if (this.#writes.length >= MAX_SEGMENT_WRITES) await this.#settle();
  }

  async #settle(): Promise<void> {
    const writes = this.#writes;
    this.#writes = [];
    await Promise.all(writes);
  }

  async staged(): Promise<StagedSegments> {
    await this.#flush();
    await this.#settle();
    const segmentSize = this.#sink.segmentSize;
    return { prefix: this.prefix, segmentSize, segmentCount: segmentCount(this.#bytes, segmentSize) };
  }

  async commit(
    facts: ChunkContent,
    expectedWriteId: string,
  ): Promise<{ readonly committed: CommitResult; readonly record: ChunkRecord }> {
    const segments = await this.staged();
    const record: ChunkRecord = {
      ...facts,
      chunk: this.#chunk,
      writeId: this.writeId,
      segmentSize: segments.segmentSize,
      segmentCount: segmentCount(facts.size, segments.segmentSize),
      emitted: false,
    };
    const committed = await this.#sink.commitChunk(this.#uploadId, record, expectedWriteId);
    this.#committed = committed.result === 'ok';
    return { committed, record };
  }

  async abort(): Promise<void> {
    if (this.#committed) return;
    const writes = this.#writes;
    this.#writes = [];
    this.#pending = [];
    this.#pendingBytes = 0;
    await Promise.allSettled(writes);
    const written = this.#segments;
    this.#segments = 0;
    if (written > 0) await this.#sink.deleteSegments({ prefix: this.prefix, segmentCount: written });
  }
}

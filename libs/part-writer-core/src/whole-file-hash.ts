import { createHash, type Hash } from 'node:crypto';

/** A part's byte range, as the hash takes it. */
export interface HashedRange {
  readonly partNumber: number;
  readonly start: number;
  readonly end: number;
  /** The chunk writes the part's bytes came from: another fingerprint means other bytes. */
  readonly fingerprint: string;
}

/** Memory that the hash holds while it keeps a part's bytes to hash later. */
export interface HeldBytes {
  retain(): void;
  release(): void;
}

/** Why the running hash stopped following the upload. */
export type HashLoss = 'reloaded' | 'reordered' | 'rewritten';

/**
 * The whole-file SHA-256 of one upload, computed once from the bytes the part-writer reads for
 * its parts, in offset order. Parts are read concurrently and may be cut out of order (a client
 * that declares a fixed chunk size): a part that arrives ahead of the hash waits here, up to
 * `reorderBytes` in all, and is hashed as soon as the parts before it have been.
 *
 * The state is node:crypto's native SHA-256, which cannot be saved: a serialisable hash
 * (hash-wasm) costs about 6.5× the CPU here (267 against 1,746 MB/s). So the hash is given up,
 * never guessed, when it cannot follow the upload to its end:
 * - `reloaded`: the upload's state came from Redis with parts already stored (a crash or a
 *   rebalance moved it here mid-upload), so bytes before them went by in another process;
 * - `reordered`: the parts ahead of the hash would hold more than `reorderBytes`;
 * - `rewritten`: a part already hashed was written again from other chunk writes.
 * An upload whose hash was given up announces no content hash, and the assembler reads its
 * object back to compute one: slower, never wrong.
 */
export class WholeFileHash {
  readonly #hash: Hash = createHash('sha256');
  readonly #reorderBytes: number;
  /** Parts ahead of the hash, by start offset. */
  readonly #ahead = new Map<
    number,
    { readonly range: HashedRange; readonly bytes: readonly Buffer[]; readonly held: HeldBytes | undefined }
  >();
  /** Fingerprint of every part hashed, by part number. */
  readonly #hashed = new Map<number, string>();
  #aheadBytes = 0;
  #offset = 0;
  #lost: HashLoss | undefined;
  #digest: Buffer | undefined;

  private constructor(reorderBytes: number, lost: HashLoss | undefined) {
    this.#reorderBytes = reorderBytes;
    this.#lost = lost;
  }

  /** A hash from the first byte. */
  static fresh(reorderBytes: number): WholeFileHash {
    return new WholeFileHash(reorderBytes, undefined);
  }

  /** A hash that was given up before it started. */
  static given(up: HashLoss): WholeFileHash {
    return new WholeFileHash(0, up);
  }

  /** Why the hash was given up, or undefined while it follows the upload. */
  get lost(): HashLoss | undefined {
    return this.#lost;
  }

  /** Bytes hashed so far: the hash has seen exactly [0, offset). */
  get offset(): number {
    return this.#offset;
  }

  /**
   * Takes a part's bytes as read for its write. Bytes of a part hashed before from the same chunk
   * writes (a retry) are ignored; from other writes, the hash is given up. When the bytes wait
   * for the parts before them, `held` is retained until they are hashed or dropped.
   */
  offer(range: HashedRange, bytes: readonly Buffer[], held?: HeldBytes): void {
    if (this.#lost !== undefined || this.#digest !== undefined) return;
    const hashed = this.#hashed.get(range.partNumber);
    if (hashed !== undefined) {
      if (hashed !== range.fingerprint) this.#lose('rewritten');
      return;
    }
    if (range.start < this.#offset) return this.#lose('rewritten');
    if (range.start > this.#offset) return this.#wait(range, bytes, held);
    this.#feed(range, bytes);
    for (let next = this.#ahead.get(this.#offset); next; next = this.#ahead.get(this.#offset)) {
      this.#ahead.delete(next.range.start);
      this.#aheadBytes -= next.range.end - next.range.start;
      this.#feed(next.range, next.bytes);
      next.held?.release();
    }
  }

  /** The SHA-256 once exactly `size` bytes are hashed; undefined while short, or given up. */
  digest(size: number): Buffer | undefined {
    if (this.#lost !== undefined || this.#offset !== size || this.#ahead.size > 0) return undefined;
    this.#digest ??= this.#hash.digest();
    return this.#digest;
  }

  #wait(range: HashedRange, bytes: readonly Buffer[], held: HeldBytes | undefined): void {
    const previous = this.#ahead.get(range.start);
    const size = range.end - range.start;
    const previousSize = previous ? previous.range.end - previous.range.start : 0;
    if (this.#aheadBytes - previousSize + size > this.#reorderBytes) return this.#lose('reordered');
    // A newer write of a part still waiting replaces it: only the bytes S3 gets are hashed.
    held?.retain();
    this.#ahead.set(range.start, { range, bytes, held });
    this.#aheadBytes += size - previousSize;
    previous?.held?.release();
  }

  #feed(range: HashedRange, bytes: readonly Buffer[]): void {
    for (const b of bytes) this.#hash.update(b);
    this.#offset = range.end;
    this.#hashed.set(range.partNumber, range.fingerprint);
  }

  #lose(why: HashLoss): void {
    this.#lost = why;
    for (const { held } of this.#ahead.values()) held?.release();
    this.#ahead.clear();
    this.#aheadBytes = 0;
  }
}

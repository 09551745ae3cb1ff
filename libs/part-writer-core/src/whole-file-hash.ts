import { createHash, type Hash } from 'node:crypto';
import { ResumableSha256 } from '@sluice/checksums';

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
 * The hash after parts 1..`part`, as Redis keeps it so another process can go on from it.
 * `chain` links the fingerprints of those parts (see {@link chainOf}): it tells, on a reload,
 * whether the parts stored are still the bytes that were hashed.
 */
export interface HashCheckpoint {
  readonly part: number;
  /** Where part `part` ends: the hash has taken exactly [0, offset). */
  readonly offset: number;
  /** {@link ResumableSha256}'s saved state. */
  readonly state: Buffer;
  readonly chain: string;
}

/** The fingerprint chain after one more part: SHA-256 of the chain before it and the part's fingerprint. */
export function chainOf(previous: string, fingerprint: string): string {
  return createHash('sha256').update(`${previous}\n${fingerprint}`).digest('hex');
}

/** What the hash runs on: resumable when the native module is there, else node:crypto's. */
type Engine = { readonly resumable: ResumableSha256 } | { readonly plain: Hash };

/**
 * The whole-file SHA-256 of one upload, computed once from the bytes the part-writer reads for
 * its parts, in offset order. Parts are read concurrently and may be cut out of order (a client
 * that declares a fixed chunk size): a part that arrives ahead of the hash waits here, up to
 * `reorderBytes` in all, and is hashed as soon as the parts before it have been.
 *
 * **Durable.** On {@link ResumableSha256} the state after each part is kept as a
 * {@link HashCheckpoint}; once parts 1..n are stored, the part-writer saves the checkpoint of n in
 * Redis, and only then releases their staged bytes. Bytes of parts past the checkpoint stay in
 * Redis, so a process that loads the upload after a crash or a rebalance resumes from the
 * checkpoint and reads them again for the hash ({@link WholeFileHash.load}).
 *
 * The hash is given up, never guessed, when it cannot follow the upload to its end:
 * - `reloaded`: bytes it needs went by in another process and are gone from Redis (or the
 *   native module is missing, so no state was saved);
 * - `reordered`: the parts ahead of the hash would hold more than `reorderBytes`;
 * - `rewritten`: a part already hashed was written again from other chunk writes.
 * An upload whose hash was given up announces no content hash, and the assembler reads its
 * object back to compute one: slower, never wrong.
 */
export class WholeFileHash {
  readonly #engine: Engine;
  readonly #reorderBytes: number;
  /** Parts ahead of the hash, by start offset. */
  readonly #ahead = new Map<
    number,
    { readonly range: HashedRange; readonly bytes: readonly Buffer[]; readonly held: HeldBytes | undefined }
  >();
  /** Fingerprint of every part hashed, by part number. */
  readonly #hashed = new Map<number, string>();
  /** Checkpoints after parts hashed and not yet saved, by part number. */
  readonly #checkpoints = new Map<number, HashCheckpoint>();
  #aheadBytes = 0;
  #offset = 0;
  #chain = '';
  #saved = 0;
  #lost: HashLoss | undefined;
  #digest: Buffer | undefined;

  private constructor(engine: Engine, reorderBytes: number, lost: HashLoss | undefined) {
    this.#engine = engine;
    this.#reorderBytes = reorderBytes;
    this.#lost = lost;
  }

  /** A hash from the first byte; resumable unless `resumable` is false or the native module is missing. */
  static fresh(reorderBytes: number, resumable = ResumableSha256.available): WholeFileHash {
    const engine = resumable ? { resumable: new ResumableSha256() } : { plain: createHash('sha256') };
    return new WholeFileHash(engine, reorderBytes, undefined);
  }

  /** A hash that was given up before it started. */
  static given(up: HashLoss): WholeFileHash {
    return new WholeFileHash({ plain: createHash('sha256') }, 0, up);
  }

  /**
   * The hash of an upload loaded from Redis with `stored` parts: from its checkpoint when the
   * parts it covers are still stored from the same chunk writes, else from the first byte (the
   * parts stored are then read again, or the hash is given up when their bytes are gone). Without
   * the native module, an upload with parts stored has lost its hash.
   */
  static load(
    reorderBytes: number,
    checkpoint: HashCheckpoint | undefined,
    stored: readonly { readonly partNumber: number; readonly end: number; readonly fingerprint: string }[],
    resumable = ResumableSha256.available,
  ): WholeFileHash {
    if (!resumable)
      return stored.length > 0 ? WholeFileHash.given('reloaded') : WholeFileHash.fresh(reorderBytes, false);
    if (checkpoint === undefined) return WholeFileHash.fresh(reorderBytes);
    const fingerprints = new Map(stored.map((p) => [p.partNumber, p]));
    let chain = '';
    for (let n = 1; n <= checkpoint.part; n++) {
      const part = fingerprints.get(n);
      if (part === undefined) return WholeFileHash.fresh(reorderBytes);
      chain = chainOf(chain, part.fingerprint);
    }
    if (
      chain !== checkpoint.chain ||
      fingerprints.get(checkpoint.part)?.end !== checkpoint.offset ||
      ResumableSha256.bytesOf(checkpoint.state) !== checkpoint.offset
    ) {
      return WholeFileHash.fresh(reorderBytes);
    }
    const hash = new WholeFileHash(
      { resumable: ResumableSha256.restore(checkpoint.state) },
      reorderBytes,
      undefined,
    );
    for (let n = 1; n <= checkpoint.part; n++) hash.#hashed.set(n, fingerprints.get(n)!.fingerprint);
    hash.#offset = checkpoint.offset;
    hash.#chain = checkpoint.chain;
    hash.#saved = checkpoint.part;
    return hash;
  }

  /** Why the hash was given up, or undefined while it follows the upload. */
  get lost(): HashLoss | undefined {
    return this.#lost;
  }

  /** Bytes hashed so far: the hash has seen exactly [0, offset). */
  get offset(): number {
    return this.#offset;
  }

  /** Whether the hash has taken part n, or holds it waiting. */
  has(partNumber: number): boolean {
    return (
      this.#hashed.has(partNumber) || [...this.#ahead.values()].some((a) => a.range.partNumber === partNumber)
    );
  }

  /**
   * The last part whose staged bytes may go: every part when the hash is not resumable or was
   * given up, else the last part of the checkpoint saved in Redis (a reload needs the bytes after it).
   */
  get releasableThrough(): number {
    return this.#lost !== undefined || !('resumable' in this.#engine) ? Infinity : this.#saved;
  }

  /**
   * The newest checkpoint past the one saved whose parts are all stored from the bytes hashed,
   * or undefined when there is none. `storedFingerprint(n)` is part n's fingerprint as stored.
   */
  checkpoint(storedFingerprint: (partNumber: number) => string | undefined): HashCheckpoint | undefined {
    let found: HashCheckpoint | undefined;
    for (let n = this.#saved + 1; ; n++) {
      const checkpoint = this.#checkpoints.get(n);
      if (checkpoint === undefined || storedFingerprint(n) !== this.#hashed.get(n)) return found;
      found = checkpoint;
    }
  }

  /** Notes that `checkpoint` is saved in Redis: the staged bytes of its parts may go. */
  saved(checkpoint: HashCheckpoint): void {
    if (checkpoint.part <= this.#saved) return;
    this.#saved = checkpoint.part;
    for (const n of this.#checkpoints.keys()) if (n <= checkpoint.part) this.#checkpoints.delete(n);
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

  /** Gives the hash up (bytes it needs are gone). */
  giveUp(why: HashLoss): void {
    if (this.#lost === undefined && this.#digest === undefined) this.#lose(why);
  }

  /** The SHA-256 once exactly `size` bytes are hashed; undefined while short, or given up. */
  digest(size: number): Buffer | undefined {
    if (this.#lost !== undefined || this.#offset !== size || this.#ahead.size > 0) return undefined;
    this.#digest ??=
      'resumable' in this.#engine ? this.#engine.resumable.digest() : this.#engine.plain.digest();
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
    const engine = this.#engine;
    for (const b of bytes) ('resumable' in engine ? engine.resumable : engine.plain).update(b);
    this.#offset = range.end;
    this.#hashed.set(range.partNumber, range.fingerprint);
    if ('resumable' in engine) {
      this.#chain = chainOf(this.#chain, range.fingerprint);
      this.#checkpoints.set(range.partNumber, {
        part: range.partNumber,
        offset: range.end,
        state: engine.resumable.save(),
        chain: this.#chain,
      });
    }
  }

  #lose(why: HashLoss): void {
    this.#lost = why;
    for (const { held } of this.#ahead.values()) held?.release();
    this.#ahead.clear();
    this.#aheadBytes = 0;
    this.#checkpoints.clear();
  }
}

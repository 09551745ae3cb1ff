import { createHash } from 'node:crypto';
import { combineAll, type CrcPiece } from '@sluice/checksums';
import { ConflictError, InternalError } from '@sluice/errors';
import { PartPlanner, type PartSizePolicy, type PlanState, type ReadyPart } from '@sluice/parts';
import type { ChecksumMode } from '@sluice/proto';

/**
 * What the part-writer knows about one upload, in memory and without I/O: its chunks (the
 * current write of each), the seal, and the parts stored so far. It answers which parts must be
 * written now, which chunks no part needs any more, and the whole-object CRCs.
 *
 * A part is identified by its number (its byte range never changes: `@sluice/parts`) and by a
 * fingerprint of the chunk writes it was cut from. A stored part counts only while its
 * fingerprint is current: a forced replacement of a chunk makes every part holding it dirty
 * again, so the part is written once more, under the same number, with the new bytes.
 */

/** One write of one chunk, as its ChunkUploaded event describes it. */
export interface ChunkFacts {
  readonly chunk: number;
  readonly size: number;
  readonly crc64nvme: bigint;
  /** 0 unless the drive's checksum mode is crc32c. */
  readonly crc32c: number;
  /** 0 unless the drive's checksum mode is crc32. */
  readonly crc32: number;
  /** Redis key prefix of the write's segments; names the write. */
  readonly prefix: string;
  readonly segmentCount: number;
  readonly segmentSize: number;
  /** 0 for the first write, +1 for each forced replacement. */
  readonly generation: number;
}

/** A part as stored in S3 and announced by PartStored. */
export interface StoredPart {
  readonly partNumber: number;
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
  /** Without quotes. */
  readonly etag: string;
  /** Set for a single PutObject on a versioned bucket. */
  readonly versionId: string;
  readonly single: boolean;
  readonly crc64nvme: bigint;
  readonly crc32c: number;
  readonly crc32: number;
  readonly firstChunk: number;
  readonly lastChunk: number;
  /** Fingerprint of the chunk writes the part was cut from. */
  readonly fingerprint: string;
}

/** Bytes of one chunk write that belong to a part. */
export interface PartPiece {
  readonly chunk: ChunkFacts;
  readonly offsetInChunk: number;
  readonly length: number;
}

/** A part to write: its range, the chunk bytes that tile it, and what it is cut from. */
export interface PartWork {
  readonly partNumber: number;
  readonly start: number;
  readonly end: number;
  /** `single`: one PutObject of the whole file; `multipart`: UploadPart. */
  readonly upload: 'single' | 'multipart';
  readonly pieces: readonly PartPiece[];
  readonly fingerprint: string;
  readonly firstChunk: number;
  readonly lastChunk: number;
}

/** The CRCs of some bytes, in every algorithm a part or object may carry. */
export interface PartCrcs {
  readonly crc64nvme: bigint;
  readonly crc32c: number;
  readonly crc32: number;
}

/** What `addChunk` made of a ChunkUploaded event. */
export type ChunkChange =
  | { readonly kind: 'new' }
  | { readonly kind: 'duplicate' }
  /** An older write than the one known: ignore it. */
  | { readonly kind: 'stale' }
  /** A forced replacement: `previous` is the write it supersedes. */
  | { readonly kind: 'replaced'; readonly previous: ChunkFacts };

/** Options of an UploadLedger. */
export interface UploadLedgerOptions {
  readonly policy: PartSizePolicy;
  /** Declared at initiate: every chunk but the last has this many bytes. */
  readonly fixedChunkSize?: number;
  readonly checksumMode: ChecksumMode;
}

/** One upload's chunks, seal and stored parts (see the top of this file). */
export class UploadLedger {
  readonly checksumMode: ChecksumMode;
  readonly #planner: PartPlanner;
  readonly #chunks = new Map<number, ChunkFacts>();
  readonly #ready = new Map<number, ReadyPart>();
  readonly #stored = new Map<number, StoredPart>();
  readonly #dirty = new Set<number>();
  /** Chunk → the write whose segments are deleted. */
  readonly #deleted = new Map<number, string>();
  readonly #fingerprints = new Map<number, string>();

  constructor(options: UploadLedgerOptions) {
    this.checksumMode = options.checksumMode;
    this.#planner = new PartPlanner({ policy: options.policy, fixedChunkSize: options.fixedChunkSize });
  }

  /** Decides what a chunk write is to the ledger, without recording it. */
  classify(facts: ChunkFacts): ChunkChange {
    const known = this.#chunks.get(facts.chunk);
    if (known === undefined) return { kind: 'new' };
    if (facts.generation < known.generation) return { kind: 'stale' };
    if (facts.generation === known.generation) return { kind: 'duplicate' };
    if (facts.size !== known.size) {
      throw new ConflictError(
        'CHUNK_CONFLICT',
        `chunk ${facts.chunk} was replaced with ${facts.size} bytes but had ${known.size}: parts may already ` +
          'hold its old bytes, so a replacement must keep the size; start the upload over',
      );
    }
    return { kind: 'replaced', previous: known };
  }

  /** Records a chunk write (see {@link classify}); throws when it contradicts the upload. */
  addChunk(facts: ChunkFacts): ChunkChange {
    const change = this.classify(facts);
    if (change.kind === 'stale' || change.kind === 'duplicate') return change;
    this.#planner.addChunk(facts.chunk, facts.size);
    this.#chunks.set(facts.chunk, facts);
    if (change.kind === 'replaced') {
      for (const part of this.#planner.partsOfChunk(facts.chunk)) {
        this.#fingerprints.delete(part);
        if (this.#ready.has(part)) this.#dirty.add(part);
      }
    }
    this.#collectReady();
    return change;
  }

  /** Records the chunk count; repeating it changes nothing. */
  seal(totalChunks: number): void {
    this.#planner.seal(totalChunks);
    this.#collectReady();
  }

  /** Records a stored part; true when it matches the current chunk writes (the part is done). */
  markStored(part: StoredPart): boolean {
    this.#stored.set(part.partNumber, part);
    const current =
      this.#ready.has(part.partNumber) && this.fingerprintOf(part.partNumber) === part.fingerprint;
    if (current) this.#dirty.delete(part.partNumber);
    else if (this.#ready.has(part.partNumber)) this.#dirty.add(part.partNumber);
    return current;
  }

  /** Notes that a chunk write's segments are deleted. */
  markDeleted(chunk: number, prefix: string): void {
    this.#deleted.set(chunk, prefix);
  }

  /** The sealed chunk count. */
  get totalChunks(): number | undefined {
    return this.#planner.totalChunks;
  }

  get totalSize(): number | undefined {
    return this.#planner.totalSize;
  }

  get partCount(): number | undefined {
    return this.#planner.partCount;
  }

  get plan(): PlanState {
    return this.#planner.plan;
  }

  chunk(n: number): ChunkFacts | undefined {
    return this.#chunks.get(n);
  }

  get chunks(): IterableIterator<ChunkFacts> {
    return this.#chunks.values();
  }

  stored(n: number): StoredPart | undefined {
    return this.#stored.get(n);
  }

  /** Part numbers whose bytes are all known and that are not stored from the current chunk writes. */
  get dirtyParts(): readonly number[] {
    return [...this.#dirty].sort((a, b) => a - b);
  }

  isDirty(partNumber: number): boolean {
    return this.#dirty.has(partNumber);
  }

  /** The part as it must be written now, or undefined while its bytes are not all known. */
  partWork(partNumber: number): PartWork | undefined {
    const ready = this.#ready.get(partNumber);
    if (ready === undefined) return undefined;
    const pieces = ready.segments.map((s) => ({
      chunk: this.#chunks.get(s.chunkNumber)!,
      offsetInChunk: s.offsetInChunk,
      length: s.length,
    }));
    const total = this.#planner.totalChunks ?? 1;
    return {
      partNumber,
      start: ready.start,
      end: ready.end,
      upload: ready.upload,
      pieces,
      fingerprint: fingerprint(pieces),
      firstChunk: pieces[0]?.chunk.chunk ?? 0,
      lastChunk: pieces.at(-1)?.chunk.chunk ?? Math.max(0, total - 1),
    };
  }

  fingerprintOf(partNumber: number): string | undefined {
    let known = this.#fingerprints.get(partNumber);
    if (known === undefined) {
      known = this.partWork(partNumber)?.fingerprint;
      if (known !== undefined) this.#fingerprints.set(partNumber, known);
    }
    return known;
  }

  /** The parts holding bytes of chunk n (once its offset is known). */
  partsOfChunk(chunk: number): number[] {
    return this.#planner.partsOfChunk(chunk);
  }

  /**
   * Chunks whose bytes part n needs but whose segments are already deleted: after a forced
   * replacement of a chunk beside them, the part can no longer be written again.
   */
  lostChunks(partNumber: number): number[] {
    const ready = this.#ready.get(partNumber);
    if (ready === undefined) return [];
    return ready.segments
      .filter((s) => {
        const facts = this.#chunks.get(s.chunkNumber);
        return facts !== undefined && this.#deleted.get(s.chunkNumber) === facts.prefix;
      })
      .map((s) => s.chunkNumber);
  }

  /** Sealed, its size known, and every part stored from the current chunk writes. */
  get complete(): boolean {
    const count = this.#planner.partCount;
    return count !== undefined && this.#ready.size === count && this.#dirty.size === 0;
  }

  /**
   * Chunk writes whose bytes no part needs any more (every part holding them is stored from
   * them) and whose segments are not yet deleted. Looks at the chunks of `parts`, or at all.
   */
  releasable(parts?: readonly number[]): ChunkFacts[] {
    const candidates = new Set<number>();
    if (parts === undefined) for (const n of this.#chunks.keys()) candidates.add(n);
    else {
      for (const p of parts)
        for (const s of this.#ready.get(p)?.segments ?? []) candidates.add(s.chunkNumber);
    }
    const out: ChunkFacts[] = [];
    for (const n of [...candidates].sort((a, b) => a - b)) {
      const facts = this.#chunks.get(n);
      if (facts === undefined || facts.size === 0 || this.#deleted.get(n) === facts.prefix) continue;
      const holding = this.#planner.partsOfChunk(n);
      if (holding.length === 0) continue;
      if (holding.every((p) => this.#ready.has(p) && !this.#dirty.has(p))) out.push(facts);
    }
    return out;
  }

  /** CRCs of the whole object, combined from the chunk CRCs (no byte is read again). */
  wholeCrcs(): PartCrcs {
    const total = this.#planner.totalChunks ?? 0;
    const list: ChunkFacts[] = [];
    for (let n = 0; n < total; n++) {
      const facts = this.#chunks.get(n);
      if (facts === undefined)
        throw new InternalError(`the whole-object CRC needs chunk ${n}, which is not known`);
      list.push(facts);
    }
    return combineCrcs(
      list.map((c) => ({ ...c, length: c.size })),
      this.checksumMode,
    );
  }

  #collectReady(): void {
    for (const part of this.#planner.takeReady()) {
      this.#ready.set(part.partNumber, part);
      const stored = this.#stored.get(part.partNumber);
      if (stored === undefined || stored.fingerprint !== this.fingerprintOf(part.partNumber)) {
        this.#dirty.add(part.partNumber);
      }
    }
  }
}

/** Names the chunk writes a part is cut from; a replaced chunk changes it. */
export function fingerprint(pieces: readonly PartPiece[]): string {
  const hash = createHash('sha256');
  for (const p of pieces) hash.update(`${p.chunk.chunk}=${p.chunk.prefix};`);
  return hash.digest('base64url').slice(0, 22);
}

/** A run of bytes with its CRCs, for combining. */
export interface CrcRun extends PartCrcs {
  readonly length: number;
}

/**
 * The CRCs of runs concatenated in order. CRC64/NVME always (events carry it whatever the drive
 * does); CRC32C or CRC32 only when the drive's mode asks for it, since ingest computes only
 * that one, and 0 otherwise.
 */
export function combineCrcs(runs: readonly CrcRun[], mode: ChecksumMode): PartCrcs {
  const pieces64: CrcPiece<bigint>[] = runs.map((r) => ({ crc: r.crc64nvme, length: r.length }));
  return {
    crc64nvme: combineAll('crc64nvme', pieces64).crc,
    crc32c:
      mode === 'crc32c'
        ? combineAll(
            'crc32c',
            runs.map((r) => ({ crc: r.crc32c, length: r.length })),
          ).crc
        : 0,
    crc32:
      mode === 'crc32'
        ? combineAll(
            'crc32',
            runs.map((r) => ({ crc: r.crc32, length: r.length })),
          ).crc
        : 0,
  };
}

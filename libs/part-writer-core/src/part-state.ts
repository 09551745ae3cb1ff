/**
 * What the part-writer keeps of each upload between events, so that any instance can carry an
 * upload on after a crash or a rebalance: where it goes, its chunk writes, what is stored, how it
 * ended. `PartStateStore` keeps it in Redis (its layout is at the top of that file) and
 * `MemoryPartState` in memory for unit tests; `test/part-state.suite.ts` holds both to the same
 * behaviour. Every write is idempotent: a redelivered event writes the same value again.
 */
import type { ChunkFacts, StoredPart } from '@sluice/part-ledger';
import type { ChecksumMode, PartSizeKind } from '@sluice/proto';
import type { MultipartRef } from '@sluice/storage';
import type { HashCheckpoint } from './whole-file-hash.ts';

/** Where the object goes and how it is cut; from UploadInitiated, or ingest's record of it. */
export interface UploadInit {
  readonly tenant: string;
  readonly drive: string;
  readonly nodeId: string;
  readonly bucket: string;
  readonly key: string;
  readonly checksumMode: ChecksumMode;
  readonly policy: { readonly kind: PartSizeKind; readonly partSize: number };
  /** 0 when chunk sizes vary. */
  readonly fixedChunkSize: number;
  readonly filename: string;
  readonly mimeType: string;
  readonly metadata: Readonly<Record<string, string>>;
}

/** Why an upload failed, as UploadFailed says it. */
export interface FailureFacts {
  readonly code: string;
  readonly message: string;
  readonly s3Code: string;
}

/** Everything stored for one upload. */
export interface StoredUploadState {
  readonly init: UploadInit | undefined;
  readonly chunks: readonly ChunkFacts[];
  readonly sealed: { readonly totalChunks: number; readonly sha256: string } | undefined;
  /** The whole-file SHA-256 (hex) of the bytes stored, once hashed to the end. */
  readonly contentSha256: string | undefined;
  /** The running whole-file SHA-256 after the parts it has taken, to resume from. */
  readonly hashCheckpoint: HashCheckpoint | undefined;
  readonly multipartUploadId: string | undefined;
  readonly parts: readonly StoredPart[];
  /** Chunk → prefix of the write whose segments are deleted. */
  readonly deleted: ReadonlyMap<number, string>;
  /** Superseded writes still to delete: prefix → segment count. */
  readonly garbage: ReadonlyMap<string, number>;
  readonly done: boolean;
  readonly failed: FailureFacts | undefined;
  readonly failedEmitted: boolean;
  readonly aborting: string | undefined;
}

/** The part-writer's state of every upload it carries (see the top of this file). */
export interface PartState {
  /** The upload's state, or undefined when there is none. */
  load(uploadId: string): Promise<StoredUploadState | undefined>;
  /** Whether the upload has any state (none before its first event, or once it ended). */
  exists(uploadId: string): Promise<boolean>;
  /** Stores where the upload goes, unless already stored (the first one stays). */
  saveInit(uploadId: string, init: UploadInit): Promise<void>;
  /**
   * Stores a chunk write unless a newer one is stored; true when this write is the one stored
   * (now or already), false when a newer write, or another write of the same generation, is.
   */
  saveChunk(uploadId: string, facts: ChunkFacts): Promise<boolean>;
  /** Stores the seal, unless already stored. */
  saveSealed(uploadId: string, totalChunks: number, sha256: string): Promise<void>;
  /**
   * Stores the whole-file SHA-256 (hex) of the bytes stored, unless one is stored, so that
   * AllPartsStored says the same if it has to be sent again from another process.
   */
  saveContentSha256(uploadId: string, sha256: string): Promise<void>;
  /**
   * Stores the running whole-file SHA-256 after parts 1..`checkpoint.part`, unless one after
   * more parts is stored (a process that fell behind never takes the hash back).
   */
  saveHashCheckpoint(uploadId: string, checkpoint: HashCheckpoint): Promise<void>;
  /**
   * Stores `multipartUploadId` as the upload's multipart upload unless one is stored already;
   * returns the one that is (the caller aborts its own when it lost).
   */
  claimMultipart(uploadId: string, multipartUploadId: string): Promise<string>;
  /** The upload's multipart upload and where it goes, once both are known (for the assembler). */
  multipart(uploadId: string): Promise<MultipartRef | undefined>;
  /** Stores part n as stored and announced, replacing an earlier one of the same number. */
  savePart(uploadId: string, part: StoredPart): Promise<void>;
  /** Notes a superseded write whose segments must go. */
  addGarbage(uploadId: string, prefix: string, segmentCount: number): Promise<void>;
  removeGarbage(uploadId: string, prefix: string): Promise<void>;
  /**
   * Notes that the segments of chunk `facts.chunk`'s write `facts.prefix` are deleted; false when
   * the upload's state is gone (an ended upload's state is not brought back).
   */
  markDeleted(uploadId: string, facts: Pick<ChunkFacts, 'chunk' | 'prefix'>): Promise<boolean>;
  /** Notes that AllPartsStored is durable. */
  markDone(uploadId: string): Promise<void>;
  /** Records the failure unless one is recorded; returns the one that is. */
  markFailed(uploadId: string, failure: FailureFacts): Promise<FailureFacts>;
  /** Notes that UploadFailed is durable. */
  markFailedEmitted(uploadId: string): Promise<void>;
  /** Notes that an abort is under way, and why. */
  markAborting(uploadId: string, reason: string): Promise<void>;
  /** Drops the upload's state. */
  delete(uploadId: string): Promise<void>;
}

/**
 * What the assembler keeps of each upload between events: the parts PartStored named, the
 * multipart upload, who holds the upload (completing or expiring) and its one outcome. Deciding
 * against it is what lets a completing consumer and an expiring sweeper on other instances never
 * give an upload two outcomes. `AssemblyStore` keeps it in Redis, `MemoryAssemblerState` in
 * memory for unit tests; `test/assembler-state.suite.ts` holds both to the same behaviour.
 */
import type { MultipartRef } from '@sluice/storage';
import type { OutcomeRecord } from './outcomes.ts';

/** One part as the assembler knows it from PartStored. */
export interface RecordedPart {
  readonly partNumber: number;
  readonly bucket: string;
  readonly key: string;
  /** Without quotes. */
  readonly etag: string;
  readonly size: number;
  /** Decimal (a bigint does not survive JSON). */
  readonly crc64nvme: string;
  readonly crc32c: number;
  readonly crc32: number;
  readonly multipartUploadId: string;
}

/** Who may act on the upload: the consumer completing it, or the sweeper expiring it. */
export type Phase = 'completing' | 'expiring';

export type ClaimResult =
  | { readonly result: 'ok'; readonly since: number }
  /** The upload already has its outcome. */
  | { readonly result: 'done' }
  | { readonly result: 'held'; readonly by: Phase }
  /** Expiring only: ingest's record of the upload is gone. */
  | { readonly result: 'missing' }
  /** Expiring only: the upload was active after the cutoff. */
  | { readonly result: 'active'; readonly lastActivity: number };

/** What the assembler knows about an upload besides its parts. */
export interface AssemblyState {
  /** The multipart upload the part-writer last named; undefined before any multipart PartStored. */
  readonly multipart: MultipartRef | undefined;
  /** The multipart upload in the part-writer's own state, when it has one. */
  readonly partWriterMultipart: MultipartRef | undefined;
  /** 0 when no PartStored was seen. */
  readonly lastPartAt: number;
  readonly phase: Phase | undefined;
}

/** An outcome and whether it was announced. */
export interface StoredOutcome {
  readonly record: OutcomeRecord;
  readonly published: boolean;
}

/** What the assembler asks of the part-writer's state (`PartStateStore` answers it). */
export interface PartWriterState {
  /** The multipart upload the part-writer created for the upload, once it has one. */
  multipart(uploadId: string): Promise<MultipartRef | undefined>;
}

/** The assembler's state of every upload (see the top of this file). */
export interface AssemblerState {
  /** Records the part (replacing an earlier PartStored of the same number); false once the upload has its outcome. */
  recordPart(uploadId: string, part: RecordedPart, now?: number): Promise<boolean>;
  /** Every recorded part, by part number. */
  parts(uploadId: string): Promise<RecordedPart[]>;
  state(uploadId: string): Promise<AssemblyState>;
  /**
   * Claims the upload for completing or for expiring (see {@link ClaimResult}). The two exclude
   * each other; claiming again what one holds succeeds and keeps the first time. Expiring also
   * needs the upload idle: its last activity (ingest's `updatedAt` or the last PartStored)
   * before `cutoff` (ms).
   */
  claim(uploadId: string, phase: Phase, now?: number, cutoff?: number): Promise<ClaimResult>;
  outcome(uploadId: string): Promise<StoredOutcome | undefined>;
  /** Stores `proposed` as the upload's outcome unless it has one; returns the outcome that holds. */
  settle(uploadId: string, proposed: OutcomeRecord): Promise<OutcomeRecord>;
  /** Notes that the outcome is announced. */
  markPublished(uploadId: string): Promise<void>;
}

import type { Budget, StagingKeys } from './keys.ts';
import type { ChunkRecord, newUploadMeta, UploadMeta } from './records.ts';

/** A chunk write's segments: `<prefix>:<i>` for i in [0, segmentCount), each ≤ segmentSize bytes. */
export interface StagedSegments {
  readonly prefix: string;
  readonly segmentSize: number;
  readonly segmentCount: number;
}

/**
 * An upload's staged bytes as one commit or release left them, with the sequence number that
 * orders such figures (each commit and release of the upload raises it): what a budget keeps of
 * the upload, a newer figure replacing an older one, never added to.
 */
export interface StagedFigure {
  readonly bytes: number;
  readonly seq: number;
}

export type CommitResult =
  | {
      readonly result: 'ok';
      /** The upload's staged bytes after this commit: what its budgets are set to (`settleBudget`). */
      readonly staged: StagedFigure;
    }
  | { readonly result: 'missing' }
  | { readonly result: 'status'; readonly status: string }
  | { readonly result: 'raced'; readonly current: ChunkRecord | undefined };

export type SealResult =
  | { readonly result: 'ok' | 'same' | 'missing' }
  | {
      readonly result: 'status';
      readonly status: string;
      readonly totalChunks: string;
      readonly sha256: string;
    }
  | { readonly result: 'beyond'; readonly chunk: number }
  | { readonly result: 'incomplete'; readonly staged: number };

/** What {@link StagingStore.reserve} found. */
export type ReserveResult =
  | { readonly result: 'ok' }
  | { readonly result: 'missing' }
  | { readonly result: 'status'; readonly status: string }
  /** A renewal found no live reservation: it lapsed, or the write was committed. */
  | { readonly result: 'lapsed' }
  | {
      readonly result: 'full';
      /** Bytes committed and not yet stored. */
      readonly stagedBytes: number;
      /** Bytes other chunk writes hold reserved. */
      readonly reservedBytes: number;
      /** The lowest chunk not staged, and whether staged chunks wait behind it. */
      readonly gap: { readonly chunk: number; readonly chunksAfter: boolean };
    };

/** One chunk write's claim on its upload's staging cap. */
export interface Reservation {
  readonly chunk: number;
  /** The write's whole reservation (it replaces what the write held before). */
  readonly bytes: number;
  /**
   * Most bytes the upload may hold staged and reserved. Undefined renews: the lease of a live
   * reservation is extended, unchecked; one that lapsed or was committed is not brought back.
   */
  readonly cap?: number;
  /** How long the reservation lives unless renewed or committed. */
  readonly leaseMs: number;
  /**
   * The staged-byte budgets the write reserves on next (see {@link StagingStore.reserveBudget}).
   * A reservation taken marks the upload as counted by them, so that its releases and its
   * deletion keep them up to date. @default none
   */
  readonly budgets?: BudgetMarks;
}

/** Which staged-byte budgets count an upload: its tenant's, the global one. */
export interface BudgetMarks {
  readonly tenant: boolean;
  readonly global: boolean;
}

/** One chunk write's claim on a staged-byte budget. */
export interface BudgetReservation {
  /** The write's whole reservation on the budget (it replaces what the write held before). */
  readonly bytes: number;
  /**
   * Most bytes the budget's uploads may hold staged and reserved. Undefined renews: the lease of
   * a live reservation is extended, unchecked; one that lapsed or was settled is not brought back.
   */
  readonly limit?: number;
  /** How long the reservation lives unless renewed, settled or released. */
  readonly leaseMs: number;
}

/** What {@link StagingStore.reserveBudget} found. */
export type BudgetReserveResult =
  | { readonly result: 'ok' }
  /** A renewal found no live reservation: it lapsed, or the write was settled. */
  | { readonly result: 'lapsed' }
  | {
      readonly result: 'full';
      /** Bytes the budget's uploads hold staged (the sum of their figures). */
      readonly stagedBytes: number;
      /** Bytes other chunk writes hold reserved on the budget. */
      readonly reservedBytes: number;
    };

/** A budget's use: the sum of its uploads' staged figures, and of its live reservations. */
export interface BudgetUsage {
  readonly stagedBytes: number;
  readonly reservedBytes: number;
}

/** What a new upload is created from; the store fills in status, counters and times. */
export type NewUpload = Parameters<typeof newUploadMeta>[0];

/** What a chunk's record says about its bytes; the write fills in where they are. */
export type ChunkContent = Omit<
  ChunkRecord,
  'chunk' | 'writeId' | 'segmentSize' | 'segmentCount' | 'emitted'
>;

/** Options of {@link StagingStore.openChunkWrite}. */
export interface ChunkWriteOptions {
  /**
   * Called before each segment is sent; throwing refuses the chunk there (ingest's memory
   * watermark). Segments already sent stay until {@link ChunkWrite.abort}.
   */
  readonly beforeSegment?: () => void;
}

/**
 * One attempt at staging one chunk. Bytes are cut into segments and sent under a fresh write
 * id while they arrive, with a bounded window of segment writes in flight, so memory stays
 * bounded whatever the chunk's size. Nothing names the segments until {@link commit}: a crash
 * before it leaves only segments that expire.
 */
export interface ChunkWrite {
  readonly writeId: string;
  /** Where the segments go: what ChunkUploaded carries. */
  readonly prefix: string;
  /** Bytes given to {@link write} so far. */
  readonly bytes: number;
  /** Takes the next bytes; resolves when it is safe to give more. */
  write(data: Buffer): Promise<void>;
  /** Sends what is left and waits for every segment; where they are. */
  staged(): Promise<StagedSegments>;
  /**
   * Sends what is left, waits for every segment, then records the chunk if the upload is open
   * and the chunk still holds the write the caller saw (`expectedWriteId`, '' for none).
   */
  commit(
    facts: ChunkContent,
    expectedWriteId: string,
  ): Promise<{ readonly committed: CommitResult; readonly record: ChunkRecord }>;
  /**
   * Drops whatever this attempt staged; safe to call more than once. After a commit that took,
   * the segments belong to the chunk's record and stay (announcing may still fail, and the
   * client's retry announces from the record).
   */
  abort(): Promise<void>;
}

/**
 * What ingest, the part-writer and the assembler need of staging: the upload's state and chunk
 * records (owned by ingest), and chunk bytes as ~1 MiB segments. Adapters: `RedisStaging`
 * (production) and `MemoryStaging` (unit tests); `test/staging-store.suite.ts` holds both to
 * the same behaviour.
 */
export interface StagingStore {
  readonly keys: StagingKeys;
  readonly segmentSize: number;

  /**
   * Creates the upload, or, when `clientRequestId` was used before by the tenant, returns the
   * upload it created then (`created: false`).
   */
  createUpload(upload: NewUpload, now?: number): Promise<{ created: boolean; meta: UploadMeta }>;
  getUpload(uploadId: string): Promise<UploadMeta | undefined>;
  getChunk(uploadId: string, chunk: number): Promise<ChunkRecord | undefined>;
  /** Every staged chunk, by chunk number. */
  listChunks(uploadId: string): Promise<ChunkRecord[]>;
  /**
   * Where the staged chunks leave a gap: the lowest chunk number not staged, and whether any
   * chunk after it is staged (chunks that wait for the gap to be filled).
   */
  firstGap(uploadId: string): Promise<{ readonly chunk: number; readonly chunksAfter: boolean }>;

  /**
   * Admission: sets the bytes `writeId` holds reserved against the upload's staging cap,
   * checked and taken in one atomic step, so any number of writes admitted at once never
   * pass the cap together. Committed bytes plus every live reservation stay within `cap`,
   * but for the chunk that fills the first gap while chunks wait behind it (it is always
   * taken: the bytes before it can only leave once it is there). The reservation becomes
   * staged bytes at {@link commitChunk}, goes at {@link releaseReservation}, and lapses after
   * its lease if neither comes (the process died).
   */
  reserve(uploadId: string, writeId: string, reservation: Reservation): Promise<ReserveResult>;
  /** Drops a write's reservation; safe to call when it is gone. */
  releaseReservation(uploadId: string, writeId: string): Promise<void>;

  /**
   * Admission on a staged-byte budget shared by many uploads (`keys.ts`): sets the bytes
   * `writeId` holds reserved on it, checked and taken in one atomic step, so any number of writes
   * admitted at once never pass the limit together: the budget's uploads' staged figures plus
   * every live reservation stay within it. The reservation goes at {@link settleBudget} (the
   * commit's figure holds the bytes then) or {@link releaseBudget}, and lapses after its lease if
   * neither comes. Unlike the upload's cap, no chunk is taken over a budget.
   */
  reserveBudget(
    budget: Budget,
    writeId: string,
    reservation: BudgetReservation,
  ): Promise<BudgetReserveResult>;
  /** Drops a write's reservation on a budget; safe to call when it is gone. */
  releaseBudget(budget: Budget, writeId: string): Promise<void>;
  /**
   * Sets the upload's staged-byte figure in a budget, unless the budget holds a newer one (by
   * sequence number) or the upload was deleted, and drops `writeId`'s reservation there (''
   * for none). Ingest calls it after each commit; {@link releaseChunk} and {@link deleteUpload}
   * do it themselves for the budgets that count the upload.
   */
  settleBudget(budget: Budget, uploadId: string, figure: StagedFigure, writeId: string): Promise<void>;
  /** What a budget holds now (lapsed entries left out). */
  budgetUsage(budget: Budget): Promise<BudgetUsage>;

  /**
   * Admits a new upload under its tenant's limit of open uploads (`limit` undefined: none), in
   * one atomic step with the count, so a burst of initiates never passes the limit. Admitting
   * an upload again succeeds. {@link closeUpload} takes it out once sealed or aborted; an upload
   * that expires unsealed lapses from the count with the staging TTL.
   */
  openUpload(
    tenant: string,
    uploadId: string,
    limit: number | undefined,
  ): Promise<{ readonly admitted: true } | { readonly admitted: false; readonly open: number }>;
  /** Takes an upload out of its tenant's open uploads; safe to repeat. */
  closeUpload(tenant: string, uploadId: string): Promise<void>;
  /**
   * Takes one chunk call from the tenant's bucket (`perSecond` a second, holding one second's
   * worth): 0 when taken, otherwise the ms until the next token.
   */
  takeChunkToken(tenant: string, perSecond: number): Promise<number>;

  /** Starts staging one chunk's bytes under a fresh write id. */
  openChunkWrite(uploadId: string, chunk: number, options?: ChunkWriteOptions): ChunkWrite;
  /**
   * Records a staged chunk if the upload is open and the chunk still holds the write the caller
   * saw (compare-and-set on the write id; `expectedWriteId` is '' for a new chunk), and adds its
   * bytes to the upload's staged bytes in place of the write's reservation; the result carries
   * the new figure. {@link ChunkWrite.commit} calls it.
   */
  commitChunk(
    uploadId: string,
    record: ChunkRecord,
    expectedWriteId: string,
    now?: number,
  ): Promise<CommitResult>;
  /** Notes that the chunk's event is durable; false when the chunk has moved on to another write. */
  markChunkEmitted(uploadId: string, chunk: number, writeId: string): Promise<boolean>;
  /** Seals an open upload; sealing again with the same values succeeds as 'same'. */
  seal(uploadId: string, totalChunks: number, sha256: string, now?: number): Promise<SealResult>;
  /** Marks an open or sealed upload aborted; aborting again succeeds as 'same'. */
  abort(uploadId: string, reason: string, now?: number): Promise<'ok' | 'same' | 'missing'>;
  /** Notes that a lifecycle event of the upload is durable. */
  markEmitted(uploadId: string, event: 'initiated' | 'sealed' | 'aborted'): Promise<void>;

  /** Where a chunk write's segments live: what ChunkUploaded carries. */
  segmentsOf(
    uploadId: string,
    record: Pick<ChunkRecord, 'chunk' | 'writeId' | 'segmentSize' | 'segmentCount'>,
  ): StagedSegments;
  /**
   * Reads `length` bytes of a staged chunk from `offset` on, across its segments; the pieces in
   * order. @throws DataLossError STAGING_LOST when a segment is gone.
   */
  readRange(segments: StagedSegments, offset: number, length: number): Promise<Buffer[]>;
  /**
   * Reads `into.length` bytes of a staged chunk from `offset` on into `into`. Nothing writes
   * into it once the promise settles. @throws DataLossError STAGING_LOST when a segment is gone.
   */
  readRangeInto(segments: StagedSegments, offset: number, into: Buffer): Promise<void>;
  /** Whether each write's segments are still staged (judged by its first segment). */
  segmentsPresent(writes: readonly Pick<StagedSegments, 'prefix'>[]): Promise<boolean[]>;
  /** Deletes a chunk write's segments. */
  deleteSegments(segments: Pick<StagedSegments, 'prefix' | 'segmentCount'>): Promise<void>;
  /**
   * Takes a chunk's bytes off the upload's staged-bytes count once the part-writer has stored
   * them, once per chunk whatever the number of calls or writes (a forced replacement keeps
   * the size and is not counted again). Returns the bytes taken off: 0 when already done or
   * when the upload is gone. The budgets that count the upload get its new figure (also when the
   * release was done before: a retry after a crash between the two brings them up to date).
   */
  releaseChunk(uploadId: string, chunk: number, size: number): Promise<number>;
  /** Pages of the ids of every upload with staged state (for expiry and reconciling). */
  uploadIds(): AsyncIterable<string[]>;
  /**
   * Deletes the upload's keys: its state, its chunk records and the segments they name, the
   * consumers' own state, and its client request id. Segments of writes no record names any
   * more are left to expire. The budgets that count the upload drop it first (a tombstone that
   * no late update brings back).
   */
  deleteUpload(uploadId: string): Promise<void>;
}

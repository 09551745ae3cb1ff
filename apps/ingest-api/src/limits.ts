/** Limits ingest enforces; sent to clients in InitiateUploadResponse. */
export interface IngestLimits {
  /** Largest chunk one UploadChunk call may carry. @default 16 MiB */
  readonly maxUnaryChunkBytes: number;
  /** Largest chunk UploadChunkStream accepts. @default 5 GiB */
  readonly maxChunkBytes: number;
  /** Most bytes one upload may have staged and not yet stored. @default 8 GiB */
  readonly maxStagedBytesPerUpload: number;
  /** Highest chunk number accepted. @default 1,000,000 */
  readonly maxChunkNumber: number;
  /** Retry hint sent with RESOURCE_EXHAUSTED. @default 500 */
  readonly retryPushbackMs: number;
}

export const DEFAULT_LIMITS: IngestLimits = Object.freeze({
  maxUnaryChunkBytes: 16 * 1024 * 1024,
  maxChunkBytes: 5 * 1024 ** 3,
  maxStagedBytesPerUpload: 8 * 1024 ** 3,
  maxChunkNumber: 1_000_000,
  retryPushbackMs: 500,
});

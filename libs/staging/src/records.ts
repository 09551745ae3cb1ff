import type { ChecksumMode, PartSizeKind } from '@sluice/proto';

/** Status of an upload as ingest sees it. */
export type StagedStatus = 'open' | 'sealed' | 'aborted';

/** Where an upload lands; resolved from its drive at initiate time. */
export interface Destination {
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  readonly key: string;
  readonly checksumMode: ChecksumMode;
  readonly partSizePolicy: { readonly kind: PartSizeKind; readonly partSize: number };
}

/** The upload as stored in `sluice:{U}:meta`. */
export interface UploadMeta {
  readonly uploadId: string;
  readonly tenant: string;
  readonly drive: string;
  readonly nodeId: string;
  readonly filename: string;
  readonly mimeType: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly sizeHint: number;
  /** 0 when chunk sizes vary. */
  readonly fixedChunkSize: number;
  readonly clientRequestId: string;
  /**
   * The W3C traceparent of the upload's trace: every span ingest starts for the upload, and so
   * every event of it, continues this trace. '' for uploads staged before it was kept.
   */
  readonly traceparent: string;
  readonly destination: Destination;
  readonly status: StagedStatus;
  /** Set once sealed. */
  readonly totalChunks: number | undefined;
  /** Hex whole-file SHA-256 given at seal; '' when none. */
  readonly sha256: string;
  readonly abortReason: string;
  /** Bytes of chunks staged and not yet released by the part-writer. */
  readonly stagedBytes: number;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** First time a chunk was staged (ms since epoch); 0 before. */
  readonly firstChunkAt: number;
  /** Which lifecycle events are known durable in Kafka (a retry re-emits the others). */
  readonly emitted: { readonly initiated: boolean; readonly sealed: boolean; readonly aborted: boolean };
}

/** One fully staged chunk, as stored in `sluice:{U}:chunks`. */
export interface ChunkRecord {
  readonly chunk: number;
  readonly size: number;
  /** Hex SHA-256. */
  readonly sha256: string;
  /** Decimal CRC64/NVME (a bigint does not survive JSON). */
  readonly crc64nvme: string;
  readonly crc32c: number;
  readonly crc32: number;
  /** Names the segment keys: `sluice:{U}:c:<chunk>:<writeId>:<i>`. */
  readonly writeId: string;
  /** 0 for the first write, +1 for each forced replacement. */
  readonly generation: number;
  readonly segmentSize: number;
  readonly segmentCount: number;
  /** True once its ChunkUploaded event is durable. */
  readonly emitted: boolean;
}

/** The state of a new upload: open, nothing staged, no event durable yet. */
export function newUploadMeta(
  upload: Omit<
    UploadMeta,
    | 'status'
    | 'totalChunks'
    | 'sha256'
    | 'abortReason'
    | 'stagedBytes'
    | 'createdAt'
    | 'updatedAt'
    | 'firstChunkAt'
    | 'emitted'
  >,
  uploadId: string,
  now: number,
): UploadMeta {
  return {
    ...upload,
    uploadId,
    status: 'open',
    totalChunks: undefined,
    sha256: '',
    abortReason: '',
    stagedBytes: 0,
    createdAt: now,
    updatedAt: now,
    firstChunkAt: 0,
    emitted: { initiated: false, sealed: false, aborted: false },
  };
}

/**
 * The wire's names for Sluice's values, in one place: which proto number means which checksum
 * mode or part-size kind, which statuses are final, who an event is about, and the gRPC metadata
 * keys server and client agree on. Everything that turns an event field into a domain value, or
 * back, goes through here.
 */
import { ChunkEvent_ChecksumMode, ChunkEvent_PartSizeKind } from './gen/sluice/intake/v1/chunk_event.ts';
import { UploadStatus, type UploadState } from './gen/sluice/intake/v1/intake_service.ts';

/** The drive's checksum mode: which CRC goes to the store with each part and object. */
export type ChecksumMode = 'none' | 'crc64nvme' | 'crc32c' | 'crc32';

/** Every checksum mode, in proto order. */
export const CHECKSUM_MODES: readonly ChecksumMode[] = Object.freeze([
  'none',
  'crc64nvme',
  'crc32c',
  'crc32',
]);

const CHECKSUM_MODE_NUMBER: Readonly<Record<ChecksumMode, ChunkEvent_ChecksumMode>> = Object.freeze({
  none: ChunkEvent_ChecksumMode.CHECKSUM_MODE_NONE,
  crc64nvme: ChunkEvent_ChecksumMode.CHECKSUM_MODE_CRC64NVME,
  crc32c: ChunkEvent_ChecksumMode.CHECKSUM_MODE_CRC32C,
  crc32: ChunkEvent_ChecksumMode.CHECKSUM_MODE_CRC32,
});

/**
 * The proto number of a checksum mode. `ChunkEvent.ChecksumMode` numbers it; AllPartsStored's
 * `checksum_mode` (a uint32) uses the same numbers.
 */
export function checksumModeToWire(mode: ChecksumMode): ChunkEvent_ChecksumMode {
  return CHECKSUM_MODE_NUMBER[mode];
}

/** The checksum mode a proto number names; undefined for UNSPECIFIED and numbers from a newer schema. */
export function checksumModeFromWire(value: number): ChecksumMode | undefined {
  return CHECKSUM_MODES.find((mode) => CHECKSUM_MODE_NUMBER[mode] === value);
}

/** How a file is cut into parts: equal parts, or the growing schedule (`@sluice/parts`). */
export type PartSizeKind = 'fixed' | 'growing';

const PART_SIZE_KIND_NUMBER: Readonly<Record<PartSizeKind, ChunkEvent_PartSizeKind>> = Object.freeze({
  fixed: ChunkEvent_PartSizeKind.PART_SIZE_KIND_FIXED,
  growing: ChunkEvent_PartSizeKind.PART_SIZE_KIND_GROWING,
});

export function partSizeKindToWire(kind: PartSizeKind): ChunkEvent_PartSizeKind {
  return PART_SIZE_KIND_NUMBER[kind];
}

/** The part-size kind a proto number names; undefined for UNSPECIFIED and unknown numbers. */
export function partSizeKindFromWire(value: number): PartSizeKind | undefined {
  return (Object.keys(PART_SIZE_KIND_NUMBER) as PartSizeKind[]).find(
    (kind) => PART_SIZE_KIND_NUMBER[kind] === value,
  );
}

/** Statuses after which an upload never changes. */
export const FINAL_STATUSES: ReadonlySet<UploadStatus> = new Set<UploadStatus>([
  UploadStatus.UPLOAD_STATUS_COMPLETED,
  UploadStatus.UPLOAD_STATUS_FAILED,
  UploadStatus.UPLOAD_STATUS_ABORTED,
  UploadStatus.UPLOAD_STATUS_EXPIRED,
]);

/** A text that differs exactly when two upload states differ (a watch sends changes by it). */
export function uploadStateFingerprint(state: UploadState): string {
  return JSON.stringify(state, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** Who an event is about, as every envelope of every topic names it. */
export interface UploadRef {
  readonly uploadId: string;
  readonly nodeId: string;
  readonly tenant: string;
  readonly drive: string;
}

/** The {@link UploadRef} of an envelope (any topic's), without its other fields. */
export function uploadRefOf(envelope: UploadRef): UploadRef {
  return {
    uploadId: envelope.uploadId,
    nodeId: envelope.nodeId,
    tenant: envelope.tenant,
    drive: envelope.drive,
  };
}

/** gRPC metadata keys server and clients agree on. */
export const GRPC_METADATA = Object.freeze({
  /** Request: `Bearer <api key>`. */
  authorization: 'authorization',
  /** Trailer: the stable Sluice error code beside the gRPC status. */
  errorCode: 'sluice-error-code',
  /** Trailer: gRPC retry pushback (gRFC A6), how long to wait before trying again. */
  retryPushback: 'grpc-retry-pushback-ms',
  /** Request: the caller's W3C trace context, which the upload's trace continues. */
  traceparent: 'traceparent',
  tracestate: 'tracestate',
});

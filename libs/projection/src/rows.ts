import type { UploadRef } from '@sluice/proto';
import { STATUS_RANK, type UploadStatusName } from './status.ts';

/**
 * The rows of the projection, as the fold sees them. Each maps one-to-one onto a table of
 * migrations/0001_initial.sql (camelCase here, snake_case there). 64-bit values are bigint,
 * 32-bit ones number, times Date (millisecond precision, as events carry them).
 */

/** One upload: what the events of all three topics say about it. */
export interface UploadRow {
  uploadId: string;
  tenant: string;
  drive: string;
  nodeId: string;
  status: UploadStatusName;
  /** Precedence of `status` (see status.ts); the row keeps the highest. */
  statusRank: number;
  /** Event that set the status; breaks ties between events of equal rank. */
  statusEventId: string;
  /** When the status was reached (the earliest copy of the event that set it). */
  statusAt: Date;
  filename: string | null;
  mimeType: string | null;
  /** The client's metadata as JSON with sorted keys, so equal maps are equal strings. */
  metadata: string | null;
  sizeHint: bigint | null;
  fixedChunkSize: bigint | null;
  endpoint: string | null;
  region: string | null;
  bucket: string | null;
  objectKey: string | null;
  checksumMode: string | null;
  partSizeKind: string | null;
  partSize: bigint | null;
  multipartUploadId: string | null;
  etag: string | null;
  versionId: string | null;
  /** Announced at seal. */
  totalChunks: number | null;
  /** Distinct chunk numbers staged (a forced replacement counts once). */
  chunksStaged: number;
  bytesStaged: bigint;
  /** Distinct part numbers stored. */
  partsStored: number;
  bytesStored: bigint;
  /** Announced once all parts are stored. */
  partCount: number | null;
  /** The object's size, once all parts are stored. */
  sizeBytes: bigint | null;
  crc64nvme: bigint | null;
  crc32c: number | null;
  crc32: number | null;
  /** The client's whole-file SHA-256, hex. */
  sha256: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  s3Code: string | null;
  /** Why the upload was aborted or expired. */
  reason: string | null;
  /** The earliest event of the upload. */
  createdAt: Date;
  /** The latest event of the upload. */
  updatedAt: Date;
  initiatedAt: Date | null;
  firstChunkAt: Date | null;
  sealedAt: Date | null;
  storedAt: Date | null;
  completedAt: Date | null;
  abortRequestedAt: Date | null;
}

/** One staged chunk; a forced replacement overwrites it (higher generation). */
export interface ChunkRow {
  uploadId: string;
  chunkNumber: number;
  size: bigint;
  byteOffset: bigint | null;
  /** Hex. */
  sha256: string;
  crc64nvme: bigint;
  crc32c: number;
  crc32: number;
  generation: number;
  eventId: string;
  stagedAt: Date;
}

/** One stored part; a part stored again (after a crash, or re-cut) overwrites it. */
export interface PartRow {
  uploadId: string;
  partNumber: number;
  byteStart: bigint;
  /** Exclusive. */
  byteEnd: bigint;
  etag: string;
  crc64nvme: bigint;
  crc32c: number;
  crc32: number;
  firstChunk: number;
  lastChunk: number;
  eventId: string;
  storedAt: Date;
}

/**
 * The row of an upload none of whose events has been folded in yet. It ranks below every
 * event, and its times are those of the first event about to be folded, so folding that
 * event leaves them as they would be anyway (min and max of the events' times).
 */
export function placeholderUpload(who: UploadRef, at: Date): UploadRow {
  return {
    uploadId: who.uploadId,
    tenant: who.tenant,
    drive: who.drive,
    nodeId: who.nodeId,
    status: 'INITIATED',
    statusRank: STATUS_RANK.placeholder,
    statusEventId: '',
    statusAt: at,
    filename: null,
    mimeType: null,
    metadata: null,
    sizeHint: null,
    fixedChunkSize: null,
    endpoint: null,
    region: null,
    bucket: null,
    objectKey: null,
    checksumMode: null,
    partSizeKind: null,
    partSize: null,
    multipartUploadId: null,
    etag: null,
    versionId: null,
    totalChunks: null,
    chunksStaged: 0,
    bytesStaged: 0n,
    partsStored: 0,
    bytesStored: 0n,
    partCount: null,
    sizeBytes: null,
    crc64nvme: null,
    crc32c: null,
    crc32: null,
    sha256: null,
    errorCode: null,
    errorMessage: null,
    s3Code: null,
    reason: null,
    createdAt: at,
    updatedAt: at,
    initiatedAt: null,
    firstChunkAt: null,
    sealedAt: null,
    storedAt: null,
    completedAt: null,
    abortRequestedAt: null,
  };
}

/** Key of a chunk or part row within the projection. */
export function rowKey(uploadId: string, number: number): string {
  return `${uploadId}\u0000${number}`;
}

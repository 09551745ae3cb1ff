import { crc32cToBase64, crc32ToBase64, crc64nvmeToBase64 } from '@sluice/checksums';
import type { UploadState } from '@sluice/proto';
import type { UploadRow } from './rows.ts';
import { uploadStatusNumber } from './status.ts';

/** An upload as the read side answers it: the row without the fold's bookkeeping. */
export type UploadView = Omit<UploadRow, 'statusRank' | 'statusEventId' | 'metadata'> & {
  /** The client's metadata; null until an event that carries it has been projected. */
  readonly metadata: Readonly<Record<string, string>> | null;
  /** Chunk numbers staged so far, ascending; only when asked for (they can be many). */
  readonly stagedChunks?: readonly number[];
};

/** The view of a row. */
export function toUploadView(row: UploadRow, stagedChunks?: readonly number[]): UploadView {
  const { statusRank: _rank, statusEventId: _event, metadata, ...rest } = row;
  return {
    ...rest,
    metadata: metadata === null ? null : (JSON.parse(metadata) as Record<string, string>),
    ...(stagedChunks ? { stagedChunks } : {}),
  };
}

/** The gRPC `UploadState` of a view (GetUploadStatus, ListUploads, WatchUpload). */
export function toUploadState(view: UploadView): UploadState {
  return {
    uploadId: view.uploadId,
    nodeId: view.nodeId,
    drive: view.drive,
    status: uploadStatusNumber(view.status) as UploadState['status'],
    filename: view.filename ?? '',
    chunksStaged: view.chunksStaged,
    bytesStaged: view.bytesStaged,
    partsStored: view.partsStored,
    bytesStored: view.bytesStored,
    totalChunks: view.totalChunks ?? 0,
    stagedChunks: [...(view.stagedChunks ?? [])],
    bucket: view.bucket ?? '',
    key: view.objectKey ?? '',
    errorCode: view.errorCode ?? '',
    errorMessage: view.errorMessage ?? view.reason ?? '',
    createdAt: view.createdAt,
    updatedAt: view.updatedAt,
  };
}

function time(d: Date | null): string | null {
  return d === null ? null : d.toISOString();
}

function count(n: bigint | null): number | null {
  // Byte counts stay far below 2^53 (9 PB); JSON numbers are what HTTP clients expect.
  return n === null ? null : Number(n);
}

/**
 * The JSON body of an upload on the HTTP API: snake_case, times as ISO-8601 UTC, sizes as
 * numbers, CRCs base64 as S3 writes them (x-amz-checksum-*), SHA-256 hex.
 */
export function toUploadJson(view: UploadView): Record<string, unknown> {
  return {
    upload_id: view.uploadId,
    tenant: view.tenant,
    drive: view.drive,
    node_id: view.nodeId,
    status: view.status,
    filename: view.filename,
    mime_type: view.mimeType,
    metadata: view.metadata,
    size_hint: count(view.sizeHint),
    fixed_chunk_size: count(view.fixedChunkSize),
    chunks_staged: view.chunksStaged,
    bytes_staged: count(view.bytesStaged),
    total_chunks: view.totalChunks,
    parts_stored: view.partsStored,
    bytes_stored: count(view.bytesStored),
    part_count: view.partCount,
    size: count(view.sizeBytes),
    ...(view.stagedChunks ? { staged_chunks: view.stagedChunks } : {}),
    location: {
      endpoint: view.endpoint,
      region: view.region,
      bucket: view.bucket,
      key: view.objectKey,
      multipart_upload_id: view.multipartUploadId,
      etag: view.etag,
      version_id: view.versionId,
    },
    part_size: { kind: view.partSizeKind, size: count(view.partSize) },
    checksums: {
      mode: view.checksumMode,
      crc64nvme: view.crc64nvme === null ? null : crc64nvmeToBase64(view.crc64nvme),
      crc32c: view.crc32c === null ? null : crc32cToBase64(view.crc32c),
      crc32: view.crc32 === null ? null : crc32ToBase64(view.crc32),
      sha256: view.sha256,
    },
    error:
      view.errorCode === null && view.errorMessage === null
        ? null
        : { code: view.errorCode, message: view.errorMessage, s3_code: view.s3Code },
    reason: view.reason,
    status_at: time(view.statusAt),
    created_at: time(view.createdAt),
    updated_at: time(view.updatedAt),
    initiated_at: time(view.initiatedAt),
    first_chunk_at: time(view.firstChunkAt),
    sealed_at: time(view.sealedAt),
    stored_at: time(view.storedAt),
    completed_at: time(view.completedAt),
    abort_requested_at: time(view.abortRequestedAt),
  };
}

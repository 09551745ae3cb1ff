import { checksumModeToWire, uploadRefOf, type PartEvent, type UploadRef } from '@sluice/proto';
import type { FailureFacts, UploadInit } from './part-state.ts';
import type { PartCrcs, StoredPart } from '@sluice/part-ledger';

/**
 * The events the part-writer writes to `intake.parts`. Event ids are derived from the fact they
 * announce (upload, kind, part and the chunk writes it was cut from), so an event emitted again
 * after a crash or a retry carries the id it had the first time and consumers drop the repeat.
 */

type Body = NonNullable<PartEvent['event']>;

function envelope(ref: UploadRef, eventId: string, event: Body, now: Date): PartEvent {
  return {
    eventId,
    ...uploadRefOf(ref),
    occurredAt: now,
    event,
  };
}

/** PartStored: part n is in S3, with its byte range, ETag and CRCs. */
export function partStored(
  ref: UploadRef,
  init: Pick<UploadInit, 'bucket' | 'key'>,
  multipartUploadId: string,
  part: StoredPart,
  now = new Date(),
): PartEvent {
  return envelope(
    ref,
    `${ref.uploadId}.part.${part.partNumber}.${part.fingerprint}`,
    {
      $case: 'partStored',
      value: {
        location: { bucket: init.bucket, key: init.key, multipartUploadId },
        partNumber: part.partNumber,
        byteStart: BigInt(part.start),
        byteEnd: BigInt(part.end),
        etag: part.etag,
        crc64nvme: part.crc64nvme,
        crc32c: part.crc32c,
        crc32: part.crc32,
        firstChunk: part.firstChunk,
        lastChunk: part.lastChunk,
      },
    },
    now,
  );
}

/** What AllPartsStored states beyond the upload's init. */
export interface AllPartsFacts {
  readonly multipartUploadId: string;
  readonly partCount: number;
  readonly totalSize: number;
  readonly totalChunks: number;
  readonly crcs: PartCrcs;
  /** Hex, '' when the client gave none. */
  readonly sha256: string;
  /** Hex SHA-256 of the bytes stored, '' when the running hash was given up. */
  readonly contentSha256: string;
  /** For a single PutObject. */
  readonly etag: string;
  readonly versionId: string;
  /** ms since epoch; 0 when unknown. */
  readonly firstChunkAt: number;
}

/** AllPartsStored: every part is in S3; the assembler may complete the object. */
export function allPartsStored(
  ref: UploadRef,
  init: UploadInit,
  facts: AllPartsFacts,
  now = new Date(),
): PartEvent {
  return envelope(
    ref,
    `${ref.uploadId}.all-parts-stored`,
    {
      $case: 'allPartsStored',
      value: {
        location: { bucket: init.bucket, key: init.key, multipartUploadId: facts.multipartUploadId },
        partCount: facts.partCount,
        totalSize: BigInt(facts.totalSize),
        crc64nvme: facts.crcs.crc64nvme,
        crc32c: facts.crcs.crc32c,
        crc32: facts.crcs.crc32,
        sha256: facts.sha256 ? Buffer.from(facts.sha256, 'hex') : Buffer.alloc(0),
        contentSha256: facts.contentSha256 ? Buffer.from(facts.contentSha256, 'hex') : Buffer.alloc(0),
        totalChunks: facts.totalChunks,
        etag: facts.etag,
        versionId: facts.versionId,
        filename: init.filename,
        mimeType: init.mimeType,
        metadata: { ...init.metadata },
        ...(facts.firstChunkAt > 0 ? { firstChunkAt: new Date(facts.firstChunkAt) } : {}),
        checksumMode: checksumModeToWire(init.checksumMode),
      },
    },
    now,
  );
}

/** UploadFailed: the upload cannot complete; the message says why and what to do. */
export function uploadFailed(ref: UploadRef, failure: FailureFacts, now = new Date()): PartEvent {
  return envelope(
    ref,
    `${ref.uploadId}.failed`,
    {
      $case: 'uploadFailed',
      value: { errorCode: failure.code, message: failure.message, s3Code: failure.s3Code },
    },
    now,
  );
}

/** UploadAborted: the multipart upload is aborted and the staged bytes are gone. */
export function uploadAborted(ref: UploadRef, reason: string, now = new Date()): PartEvent {
  return envelope(ref, `${ref.uploadId}.aborted`, { $case: 'uploadAborted', value: { reason } }, now);
}

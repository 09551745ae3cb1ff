/**
 * How one event changes the rows of its upload. Pure: the rows come from and go to a
 * {@link ProjectionState}, which a store (MySQL or PostgreSQL) fills from the database and writes back.
 *
 * Events of an upload arrive from three topics in any interleaving, and any of them may
 * arrive twice, so every rule below is a merge that gives the same rows whatever the order
 * and however many copies (commutative, associative, idempotent):
 * - times: the earliest (`createdAt`, `sealedAt`…) or latest (`updatedAt`) event time;
 * - status: the highest precedence (status.ts), then the earliest event, then the event id;
 * - chunks and parts: one row per number, the highest version wins (chunks: generation then
 *   event id; parts: time then event id then ETag), and the upload's counters change only by
 *   what a row adds or replaces, so a duplicate or a forced replacement never counts twice;
 * - facts with an owning event (the file name is UploadInitiated's, the object size
 *   AllPartsStored's, the ETag UploadCompleted's): the owner writes them; another event that
 *   repeats the fact only fills a blank while the owner has not been seen, and the owner
 *   overwrites it when it comes. The owner's `…At` column says whether it has been seen.
 */
import type { EventHead, ProjectionEvent } from './events.ts';
import type { UploadRef } from '@sluice/proto';
import type { ChunkRow, PartRow, UploadRow } from './rows.ts';
import { STATUS_RANK, type UploadStatusName } from './status.ts';

/** Where the fold reads and writes rows. */
export interface ProjectionState {
  /** The upload's row; a placeholder (`placeholderUpload`) when the upload has none yet. */
  upload(who: UploadRef, at: Date): UploadRow;
  /** The chunk's row, or undefined when it has none. */
  chunk(uploadId: string, chunkNumber: number): ChunkRow | undefined;
  putChunk(row: ChunkRow): void;
  /** The part's row, or undefined when it has none. */
  part(uploadId: string, partNumber: number): PartRow | undefined;
  putPart(row: PartRow): void;
}

/** Folds `event` into `state`. */
export function applyEvent(state: ProjectionState, event: ProjectionEvent): void {
  if (event.kind === 'unknown') return;
  const row = state.upload(event, event.occurredAt);
  touch(row, event);
  const e = event;
  switch (e.kind) {
    case 'uploadInitiated':
      row.filename = e.filename;
      row.mimeType = e.mimeType;
      row.metadata = e.metadata;
      row.sizeHint = e.sizeHint;
      row.fixedChunkSize = e.fixedChunkSize;
      row.endpoint = e.endpoint;
      row.region = e.region;
      row.bucket = e.bucket;
      row.objectKey = e.objectKey;
      row.checksumMode = e.checksumMode;
      row.partSizeKind = e.partSizeKind;
      row.partSize = e.partSize;
      row.initiatedAt = earliest(row.initiatedAt, e.occurredAt);
      reach(row, e, 'INITIATED', STATUS_RANK.initiated);
      return;
    case 'chunkUploaded':
      foldChunk(state, row, {
        uploadId: e.uploadId,
        chunkNumber: e.chunkNumber,
        size: e.size,
        byteOffset: e.byteOffset,
        sha256: e.sha256,
        crc64nvme: e.crc64nvme,
        crc32c: e.crc32c,
        crc32: e.crc32,
        generation: e.generation,
        eventId: e.eventId,
        stagedAt: e.occurredAt,
      });
      row.firstChunkAt = earliest(row.firstChunkAt, e.occurredAt);
      reach(row, e, 'UPLOADING', STATUS_RANK.uploading);
      return;
    case 'uploadSealed':
      row.totalChunks = e.totalChunks;
      row.sha256 = e.sha256;
      row.sealedAt = earliest(row.sealedAt, e.occurredAt);
      reach(row, e, 'SEALED', STATUS_RANK.sealed);
      return;
    case 'uploadAbortRequested':
      row.abortRequestedAt = earliest(row.abortRequestedAt, e.occurredAt);
      reach(row, e, 'ABORTED', STATUS_RANK.abortRequested, { reason: e.reason });
      return;
    case 'partStored':
      foldPart(state, row, {
        uploadId: e.uploadId,
        partNumber: e.partNumber,
        byteStart: e.byteStart,
        byteEnd: e.byteEnd,
        etag: e.etag,
        crc64nvme: e.crc64nvme,
        crc32c: e.crc32c,
        crc32: e.crc32,
        firstChunk: e.firstChunk,
        lastChunk: e.lastChunk,
        eventId: e.eventId,
        storedAt: e.occurredAt,
      });
      if (row.storedAt === null) row.multipartUploadId ??= e.location.multipartUploadId;
      if (row.initiatedAt === null) {
        row.bucket ??= e.location.bucket;
        row.objectKey ??= e.location.key;
      }
      reach(row, e, 'UPLOADING', STATUS_RANK.uploading);
      return;
    case 'allPartsStored':
      row.multipartUploadId = e.location.multipartUploadId;
      row.partCount = e.partCount;
      row.sizeBytes = e.totalSize;
      row.crc64nvme = e.crc64nvme;
      row.crc32c = e.crc32c;
      row.crc32 = e.crc32;
      row.storedAt = earliest(row.storedAt, e.occurredAt);
      if (row.completedAt === null) {
        row.etag ??= e.etag;
        row.versionId ??= e.versionId;
      }
      if (row.initiatedAt === null) {
        row.filename ??= e.filename;
        row.mimeType ??= e.mimeType;
        row.metadata ??= e.metadata;
        row.checksumMode ??= e.checksumMode;
        row.bucket ??= e.location.bucket;
        row.objectKey ??= e.location.key;
      }
      if (row.sealedAt === null) {
        row.totalChunks ??= e.totalChunks;
        row.sha256 ??= e.sha256;
      }
      row.firstChunkAt = earliest(row.firstChunkAt, e.firstChunkAt);
      reach(row, e, 'STORED', STATUS_RANK.stored);
      return;
    case 'partWriterAborted':
      reach(row, e, 'ABORTED', STATUS_RANK.partWriterAborted, { reason: e.reason });
      return;
    case 'partWriterFailed':
      reach(row, e, 'FAILED', STATUS_RANK.partWriterFailed, {
        errorCode: e.errorCode,
        errorMessage: e.message,
        s3Code: e.s3Code,
      });
      return;
    case 'uploadCompleted':
      row.etag = e.etag;
      row.versionId = e.versionId;
      row.completedAt = earliest(row.completedAt, e.completedAt);
      if (row.storedAt === null) {
        row.sizeBytes ??= e.size;
        row.crc64nvme ??= e.crc64nvme;
        row.crc32c ??= e.crc32c;
        row.crc32 ??= e.crc32;
        row.partCount ??= e.partCount;
      }
      if (row.initiatedAt === null) {
        row.bucket ??= e.bucket;
        row.objectKey ??= e.objectKey;
        row.filename ??= e.filename;
        row.mimeType ??= e.mimeType;
        row.metadata ??= e.metadata;
      }
      if (row.sealedAt === null) row.sha256 ??= e.sha256;
      row.firstChunkAt = earliest(row.firstChunkAt, e.firstChunkAt);
      reach(row, e, 'COMPLETED', STATUS_RANK.completed);
      return;
    case 'uploadFailed':
      reach(row, e, 'FAILED', STATUS_RANK.failed, {
        errorCode: e.errorCode,
        errorMessage: e.message,
        s3Code: e.s3Code,
      });
      return;
    case 'uploadAborted':
      reach(row, e, 'ABORTED', STATUS_RANK.aborted, { reason: e.reason });
      return;
    case 'uploadExpired':
      reach(row, e, 'EXPIRED', STATUS_RANK.expired, { reason: e.reason });
      return;
  }
}

/** Identity blanks filled, and the upload's first and last event times. */
function touch(row: UploadRow, e: EventHead): void {
  if (row.tenant === '') row.tenant = e.tenant;
  if (row.drive === '') row.drive = e.drive;
  if (row.nodeId === '') row.nodeId = e.nodeId;
  if (e.occurredAt < row.createdAt) row.createdAt = e.occurredAt;
  if (e.occurredAt > row.updatedAt) row.updatedAt = e.occurredAt;
}

interface StatusDetails {
  readonly errorCode?: string | null;
  readonly errorMessage?: string | null;
  readonly s3Code?: string | null;
  readonly reason?: string | null;
}

/**
 * Moves the status forward if the event outranks the one that set it: higher precedence,
 * then (within one rank) the earlier event, so `statusAt` is when the status was first
 * reached, then the event id. The winner's details come with it.
 */
function reach(
  row: UploadRow,
  e: EventHead,
  status: UploadStatusName,
  rank: number,
  d: StatusDetails = {},
): void {
  const order =
    rank - row.statusRank ||
    row.statusAt.getTime() - e.occurredAt.getTime() ||
    compare(e.eventId, row.statusEventId);
  if (order <= 0) return;
  row.status = status;
  row.statusRank = rank;
  row.statusEventId = e.eventId;
  row.statusAt = e.occurredAt;
  row.errorCode = d.errorCode ?? null;
  row.errorMessage = d.errorMessage ?? null;
  row.s3Code = d.s3Code ?? null;
  row.reason = d.reason ?? null;
}

function foldChunk(state: ProjectionState, row: UploadRow, chunk: ChunkRow): void {
  const old = state.chunk(chunk.uploadId, chunk.chunkNumber);
  if (!old) {
    state.putChunk(chunk);
    row.chunksStaged += 1;
    row.bytesStaged += chunk.size;
    return;
  }
  const order = chunk.generation - old.generation || compare(chunk.eventId, old.eventId);
  if (order > 0) {
    state.putChunk(chunk);
    row.bytesStaged += chunk.size - old.size;
  } else if (order === 0 && chunk.stagedAt < old.stagedAt) {
    state.putChunk({ ...old, stagedAt: chunk.stagedAt });
  }
}

function foldPart(state: ProjectionState, row: UploadRow, part: PartRow): void {
  const old = state.part(part.uploadId, part.partNumber);
  if (!old) {
    state.putPart(part);
    row.partsStored += 1;
    row.bytesStored += part.byteEnd - part.byteStart;
    return;
  }
  // The latest store of a part number is the one the object store keeps.
  const order =
    part.storedAt.getTime() - old.storedAt.getTime() ||
    compare(part.eventId, old.eventId) ||
    compare(part.etag, old.etag);
  if (order > 0) {
    state.putPart(part);
    row.bytesStored += part.byteEnd - part.byteStart - (old.byteEnd - old.byteStart);
  }
}

function earliest(current: Date | null, candidate: Date | null): Date | null {
  if (candidate === null) return current;
  return current === null || candidate < current ? candidate : current;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

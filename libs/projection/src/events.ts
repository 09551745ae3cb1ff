/**
 * The projection's view of an event: the decoded envelope of any of the three topics,
 * checked against the columns it will land in and flattened into one tagged union. An event
 * that cannot be stored as it is (no upload id, a malformed checksum) is refused here with
 * EVENT_INVALID, before any row is touched, so one bad event never blocks a batch.
 */
import { InvalidArgumentError } from '@sluice/errors';
import {
  checksumModeFromWire,
  partSizeKindFromWire,
  type ChunkEvent,
  type PartEvent,
  type PartEvent_S3Location,
  type UploadEvent,
} from '@sluice/proto';

/** The three topics, by their canonical names. */
export type SourceTopic = 'intake.chunks' | 'intake.parts' | 'intake.uploads';

/** What every event says about its upload. */
export interface EventHead {
  readonly eventId: string;
  readonly uploadId: string;
  readonly nodeId: string;
  readonly tenant: string;
  readonly drive: string;
  readonly occurredAt: Date;
}

interface Location {
  readonly bucket: string | null;
  readonly key: string | null;
  readonly multipartUploadId: string | null;
}

/** One event, ready to fold. `kind` names the fact; where two topics state one kind, the source is in the name. */
export type ProjectionEvent = EventHead &
  (
    | {
        readonly kind: 'uploadInitiated';
        readonly filename: string | null;
        readonly mimeType: string | null;
        readonly metadata: string;
        readonly sizeHint: bigint | null;
        readonly fixedChunkSize: bigint | null;
        readonly endpoint: string | null;
        readonly region: string | null;
        readonly bucket: string | null;
        readonly objectKey: string | null;
        readonly checksumMode: string | null;
        readonly partSizeKind: string | null;
        readonly partSize: bigint | null;
      }
    | {
        readonly kind: 'chunkUploaded';
        readonly chunkNumber: number;
        readonly size: bigint;
        readonly byteOffset: bigint | null;
        readonly sha256: string;
        readonly crc64nvme: bigint;
        readonly crc32c: number;
        readonly crc32: number;
        readonly generation: number;
      }
    | { readonly kind: 'uploadSealed'; readonly totalChunks: number; readonly sha256: string | null }
    | { readonly kind: 'uploadAbortRequested'; readonly reason: string | null }
    | {
        readonly kind: 'partStored';
        readonly location: Location;
        readonly partNumber: number;
        readonly byteStart: bigint;
        readonly byteEnd: bigint;
        readonly etag: string;
        readonly crc64nvme: bigint;
        readonly crc32c: number;
        readonly crc32: number;
        readonly firstChunk: number;
        readonly lastChunk: number;
      }
    | {
        readonly kind: 'allPartsStored';
        readonly location: Location;
        readonly partCount: number;
        readonly totalSize: bigint;
        readonly crc64nvme: bigint;
        /** Null unless the checksum mode computes it. */
        readonly crc32c: number | null;
        readonly crc32: number | null;
        readonly sha256: string | null;
        readonly totalChunks: number;
        readonly etag: string | null;
        readonly versionId: string | null;
        readonly filename: string | null;
        readonly mimeType: string | null;
        readonly metadata: string;
        readonly firstChunkAt: Date | null;
        readonly checksumMode: string | null;
      }
    | { readonly kind: 'partWriterAborted'; readonly reason: string | null }
    | {
        readonly kind: 'partWriterFailed';
        readonly errorCode: string | null;
        readonly message: string | null;
        readonly s3Code: string | null;
      }
    | {
        readonly kind: 'uploadCompleted';
        readonly bucket: string | null;
        readonly objectKey: string | null;
        readonly versionId: string | null;
        readonly etag: string | null;
        readonly size: bigint;
        readonly crc64nvme: bigint;
        readonly crc32c: number | null;
        readonly crc32: number | null;
        readonly sha256: string | null;
        readonly mimeType: string | null;
        readonly filename: string | null;
        readonly metadata: string;
        readonly firstChunkAt: Date | null;
        readonly completedAt: Date;
        readonly partCount: number;
      }
    | {
        readonly kind: 'uploadFailed';
        readonly errorCode: string | null;
        readonly message: string | null;
        readonly s3Code: string | null;
      }
    | { readonly kind: 'uploadAborted'; readonly reason: string | null }
    | { readonly kind: 'uploadExpired'; readonly reason: string | null }
    /** A case of the envelope's oneof this version does not know (a newer producer): nothing to fold. */
    | { readonly kind: 'unknown' }
  );

export type ProjectionEventKind = ProjectionEvent['kind'];

/** Column sizes of migrations/0001_initial.sql that events are checked or clipped against. */
export const LIMITS = Object.freeze({
  uploadId: 128,
  eventId: 255,
  nodeId: 255,
  tenant: 128,
  drive: 128,
  mimeType: 255,
  endpoint: 1024,
  region: 64,
  bucket: 255,
  objectKey: 1024,
  multipartUploadId: 1024,
  etag: 1024,
  versionId: 1024,
  errorCode: 64,
  s3Code: 128,
  /** TEXT holds 65,535 bytes: 16,000 characters fit at 4 bytes each. */
  text: 16_000,
});

const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

function invalid(head: Partial<EventHead>, what: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `event ${head.eventId || '(no id)'} of upload ${head.uploadId || '(no id)'} ${what}; ` +
      'the producer must be fixed, the projection keeps the event in rejected_events',
    { code: 'EVENT_INVALID' },
  );
}

function id(head: Partial<EventHead>, name: string, value: string, max: number): string {
  if (value.length === 0 || value.length > max || !PRINTABLE_ASCII.test(value)) {
    throw invalid(
      head,
      `has ${name} ${JSON.stringify(value.slice(0, 40))}: it must be 1 to ${max} printable ASCII characters`,
    );
  }
  return value;
}

// Text as both databases store it: PostgreSQL's text cannot hold NUL, and both drivers send
// a lone surrogate as U+FFFD; the fold sees what the rows will hold.
function storable(value: string): string {
  return value.toWellFormed();
}

function bounded(head: Partial<EventHead>, name: string, value: string, max: number): string {
  if (value.length > max) throw invalid(head, `has a ${name} longer than ${max} characters`);
  if (value.includes('\u0000')) throw invalid(head, `has a NUL character in its ${name}`);
  return storable(value);
}

/**
 * Empty (proto3's "not set") becomes null; the rest is cut to `max` characters, never inside
 * a surrogate pair, with NUL and lone surrogates replaced by U+FFFD (free text: what the
 * client wrote is kept, short of what no store can hold).
 */
export function clip(value: string, max: number = LIMITS.text): string | null {
  if (value === '') return null;
  const cut = value.length <= max ? value : value.slice(0, max);
  const whole = /[\uD800-\uDBFF]$/.test(cut) && cut.length < value.length ? cut.slice(0, -1) : cut;
  return storable(whole).replaceAll('\u0000', '\uFFFD');
}

function sha256Hex(head: Partial<EventHead>, bytes: Uint8Array, optional: boolean): string | null {
  if (bytes.length === 0 && optional) return null;
  if (bytes.length !== 32) throw invalid(head, `has a SHA-256 of ${bytes.length} bytes instead of 32`);
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** The client's metadata map as JSON with sorted keys, so equal maps store equal strings. */
export function canonicalMetadata(map: Readonly<Record<string, string>>): string {
  const sorted: Record<string, string> = {};
  for (const key of Object.keys(map).sort()) sorted[key] = map[key] ?? '';
  return JSON.stringify(sorted);
}

function validDate(value: Date | undefined): Date | null {
  return value !== undefined && Number.isFinite(value.getTime()) ? value : null;
}

function location(loc: PartEvent_S3Location | undefined): Location {
  return {
    bucket: clip(loc?.bucket ?? '', LIMITS.bucket),
    key: clip(loc?.key ?? '', LIMITS.objectKey),
    multipartUploadId: clip(loc?.multipartUploadId ?? '', LIMITS.multipartUploadId),
  };
}

function head(envelope: ChunkEvent | PartEvent | UploadEvent, recordTime: Date): EventHead {
  const partial: Partial<EventHead> = { eventId: envelope.eventId, uploadId: envelope.uploadId };
  return {
    eventId: id(partial, 'event_id', envelope.eventId, LIMITS.eventId),
    uploadId: id(partial, 'upload_id', envelope.uploadId, LIMITS.uploadId),
    nodeId: bounded(partial, 'node_id', envelope.nodeId, LIMITS.nodeId),
    tenant: bounded(partial, 'tenant', envelope.tenant, LIMITS.tenant),
    drive: bounded(partial, 'drive', envelope.drive, LIMITS.drive),
    // An event without a time gets its record's, which a replay sees again.
    occurredAt: validDate(envelope.occurredAt) ?? recordTime,
  };
}

/** A CRC that only some checksum modes compute: null when `mode` does not. */
function modeCrc(value: number, mode: string | null, wanted: string): number | null {
  return mode === wanted ? value : null;
}

/**
 * The projection event of a decoded envelope of `topic`.
 * @param recordTime the Kafka record's timestamp, used when the envelope carries no time.
 * @throws InvalidArgumentError EVENT_INVALID when the event cannot be stored as it is.
 */
export function toProjectionEvent(
  topic: SourceTopic,
  envelope: ChunkEvent | PartEvent | UploadEvent,
  recordTime: Date,
): ProjectionEvent {
  const h = head(envelope, recordTime);
  switch (topic) {
    case 'intake.chunks':
      return chunkEvent(h, (envelope as ChunkEvent).event);
    case 'intake.parts':
      return partEvent(h, (envelope as PartEvent).event);
    case 'intake.uploads':
      return uploadEvent(h, (envelope as UploadEvent).event);
  }
}

function chunkEvent(h: EventHead, event: ChunkEvent['event']): ProjectionEvent {
  switch (event?.$case) {
    case 'uploadInitiated': {
      const v = event.value;
      const d = v.destination;
      return {
        ...h,
        kind: 'uploadInitiated',
        filename: clip(v.filename),
        mimeType: clip(v.mimeType, LIMITS.mimeType),
        metadata: canonicalMetadata(v.metadata),
        sizeHint: v.sizeHint > 0n ? v.sizeHint : null,
        fixedChunkSize: v.fixedChunkSize > 0n ? v.fixedChunkSize : null,
        endpoint: clip(d?.endpoint ?? '', LIMITS.endpoint),
        region: clip(d?.region ?? '', LIMITS.region),
        bucket: clip(d?.bucket ?? '', LIMITS.bucket),
        objectKey: clip(d?.key ?? '', LIMITS.objectKey),
        checksumMode: checksumModeFromWire(d?.checksumMode ?? 0) ?? null,
        partSizeKind: partSizeKindFromWire(d?.partSizePolicy?.kind ?? 0) ?? null,
        partSize: d?.partSizePolicy && d.partSizePolicy.partSize > 0n ? d.partSizePolicy.partSize : null,
      };
    }
    case 'chunkUploaded': {
      const v = event.value;
      return {
        ...h,
        kind: 'chunkUploaded',
        chunkNumber: v.chunkNumber,
        size: v.size,
        byteOffset: v.byteOffset ?? null,
        sha256: sha256Hex(h, v.sha256, false) ?? '',
        crc64nvme: v.crc64nvme,
        crc32c: v.crc32c,
        crc32: v.crc32,
        generation: v.generation,
      };
    }
    case 'uploadSealed':
      return {
        ...h,
        kind: 'uploadSealed',
        totalChunks: event.value.totalChunks,
        sha256: sha256Hex(h, event.value.sha256, true),
      };
    case 'uploadAbortRequested':
      return { ...h, kind: 'uploadAbortRequested', reason: clip(event.value.reason) };
    case undefined:
      return { ...h, kind: 'unknown' };
  }
}

function partEvent(h: EventHead, event: PartEvent['event']): ProjectionEvent {
  switch (event?.$case) {
    case 'partStored': {
      const v = event.value;
      if (v.partNumber < 1) throw invalid(h, `stores part number ${v.partNumber}; parts are numbered from 1`);
      if (v.byteEnd < v.byteStart) throw invalid(h, `stores part ${v.partNumber} ending before it starts`);
      return {
        ...h,
        kind: 'partStored',
        location: location(v.location),
        partNumber: v.partNumber,
        byteStart: v.byteStart,
        byteEnd: v.byteEnd,
        etag: clip(v.etag, LIMITS.etag) ?? '',
        crc64nvme: v.crc64nvme,
        crc32c: v.crc32c,
        crc32: v.crc32,
        firstChunk: v.firstChunk,
        lastChunk: v.lastChunk,
      };
    }
    case 'allPartsStored': {
      const v = event.value;
      const mode = checksumModeFromWire(v.checksumMode) ?? null;
      return {
        ...h,
        kind: 'allPartsStored',
        location: location(v.location),
        partCount: v.partCount,
        totalSize: v.totalSize,
        crc64nvme: v.crc64nvme,
        crc32c: modeCrc(v.crc32c, mode, 'crc32c'),
        crc32: modeCrc(v.crc32, mode, 'crc32'),
        sha256: sha256Hex(h, v.sha256, true),
        totalChunks: v.totalChunks,
        etag: clip(v.etag, LIMITS.etag),
        versionId: clip(v.versionId, LIMITS.versionId),
        filename: clip(v.filename),
        mimeType: clip(v.mimeType, LIMITS.mimeType),
        metadata: canonicalMetadata(v.metadata),
        firstChunkAt: validDate(v.firstChunkAt),
        checksumMode: mode,
      };
    }
    case 'uploadAborted':
      return { ...h, kind: 'partWriterAborted', reason: clip(event.value.reason) };
    case 'uploadFailed':
      return {
        ...h,
        kind: 'partWriterFailed',
        errorCode: clip(event.value.errorCode, LIMITS.errorCode),
        message: clip(event.value.message),
        s3Code: clip(event.value.s3Code, LIMITS.s3Code),
      };
    case undefined:
      return { ...h, kind: 'unknown' };
  }
}

function uploadEvent(h: EventHead, event: UploadEvent['event']): ProjectionEvent {
  switch (event?.$case) {
    case 'uploadCompleted': {
      const v = event.value;
      return {
        ...h,
        kind: 'uploadCompleted',
        bucket: clip(v.bucket, LIMITS.bucket),
        objectKey: clip(v.key, LIMITS.objectKey),
        versionId: clip(v.versionId, LIMITS.versionId),
        etag: clip(v.etag, LIMITS.etag),
        size: v.size,
        crc64nvme: v.crc64nvme,
        // Without the checksum mode a zero cannot be told from "not computed".
        crc32c: v.crc32c === 0 ? null : v.crc32c,
        crc32: v.crc32 === 0 ? null : v.crc32,
        sha256: sha256Hex(h, v.sha256, true),
        mimeType: clip(v.contentType, LIMITS.mimeType),
        filename: clip(v.filename),
        metadata: canonicalMetadata(v.metadata),
        firstChunkAt: validDate(v.firstChunkAt),
        completedAt: validDate(v.completedAt) ?? h.occurredAt,
        partCount: v.partCount,
      };
    }
    case 'uploadFailed':
      return {
        ...h,
        kind: 'uploadFailed',
        errorCode: clip(event.value.errorCode, LIMITS.errorCode),
        message: clip(event.value.message),
        s3Code: clip(event.value.s3Code, LIMITS.s3Code),
      };
    case 'uploadAborted':
      return { ...h, kind: 'uploadAborted', reason: clip(event.value.reason) };
    case 'uploadExpired':
      return { ...h, kind: 'uploadExpired', reason: clip(event.value.reason) };
    case undefined:
      return { ...h, kind: 'unknown' };
  }
}

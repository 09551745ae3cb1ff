import type { SluiceError } from '@sluice/errors';
import { UploadEvent, type PartEvent_AllPartsStored, type UploadRef } from '@sluice/proto';
import { unquoteEtag } from '@sluice/storage';
import { outcomeEventId } from './event-ids.ts';

/**
 * Where an object or multipart upload is, on which tenant's drive (its credentials come from the
 * tenants file). A drive's name is unique within its tenant only, so both are needed to find it.
 */
export interface ObjectRef {
  readonly tenant: string;
  readonly drive: string;
  readonly bucket: string;
  readonly key: string;
}

/**
 * S3 work an outcome still owes before it is announced. Each is idempotent, so a replay
 * after a crash runs it again safely.
 */
export type Cleanup =
  | (ObjectRef & { readonly kind: 'abort-multipart'; readonly uploadId: string })
  | (ObjectRef & { readonly kind: 'remove-object'; readonly versionId: string })
  | (ObjectRef & {
      readonly kind: 'quarantine-object';
      readonly versionId: string;
      readonly size: number;
      /** Key the object is moved to, in the same bucket. */
      readonly to: string;
    });

/**
 * A clean-up as read back from Redis. One stored before drive names became per tenant has no
 * `tenant`; new ones always have it (see `OutcomePublisher` for how the drive is found then).
 */
export type StoredCleanup = WithoutTenant<Cleanup> | Cleanup;

type WithoutTenant<C> = C extends Cleanup ? Omit<C, 'tenant'> & { readonly tenant?: undefined } : never;

/**
 * An upload's one outcome: the event announcing it and the clean-up to run first. Stored
 * before anything is announced, so every later attempt announces exactly this event.
 */
export interface OutcomeRecord {
  readonly event: UploadEvent;
  readonly cleanup: readonly StoredCleanup[];
}

interface StoredOutcome {
  readonly v: 1;
  readonly event: string;
  readonly cleanup: readonly StoredCleanup[];
}

/** The record as stored in Redis: the event as Protobuf bytes, so a replay is byte-identical. */
export function serializeOutcome(record: OutcomeRecord): string {
  const stored: StoredOutcome = {
    v: 1,
    event: Buffer.from(UploadEvent.encode(record.event).finish()).toString('base64'),
    cleanup: record.cleanup,
  };
  return JSON.stringify(stored);
}

export function parseOutcome(text: string): OutcomeRecord {
  const stored = JSON.parse(text) as StoredOutcome;
  return { event: UploadEvent.decode(Buffer.from(stored.event, 'base64')), cleanup: stored.cleanup };
}

/** What UploadCompleted needs beyond the AllPartsStored facts: what the store reported. */
export interface CompletedObject {
  readonly etag: string;
  readonly versionId: string;
  readonly completedAt: Date;
  /** The whole-file SHA-256 of the object, raw 32 bytes. */
  readonly sha256: Uint8Array;
}

/** The UploadCompleted outcome of an upload whose object is in place and verified. */
export function completedOutcome(
  who: UploadRef,
  facts: PartEvent_AllPartsStored,
  object: CompletedObject,
): OutcomeRecord {
  return {
    cleanup: [],
    event: {
      ...envelope(who, 'upload-completed', object.completedAt),
      event: {
        $case: 'uploadCompleted',
        value: {
          bucket: facts.location?.bucket ?? '',
          key: facts.location?.key ?? '',
          versionId: object.versionId,
          etag: unquoteEtag(object.etag),
          size: facts.totalSize,
          crc64nvme: facts.crc64nvme,
          crc32c: facts.crc32c,
          crc32: facts.crc32,
          sha256: Buffer.from(object.sha256),
          contentType: facts.mimeType,
          filename: facts.filename,
          metadata: { ...facts.metadata },
          firstChunkAt: facts.firstChunkAt,
          completedAt: object.completedAt,
          partCount: facts.partCount,
        },
      },
    },
  };
}

/** The UploadFailed outcome: the error's code, its message and the store's own code when it has one. */
export function failedOutcome(
  who: UploadRef,
  error: Pick<SluiceError, 'code' | 'message' | 'details'>,
  cleanup: readonly Cleanup[],
  at: Date,
): OutcomeRecord {
  const s3Code = error.details['s3Code'];
  return {
    cleanup,
    event: {
      ...envelope(who, 'upload-failed', at),
      event: {
        $case: 'uploadFailed',
        value: {
          errorCode: error.code,
          message: error.message,
          s3Code: typeof s3Code === 'string' ? s3Code : '',
        },
      },
    },
  };
}

/** The part-writer's UploadFailed, passed on as it was. */
export function forwardedFailure(
  who: UploadRef,
  failure: { readonly errorCode: string; readonly message: string; readonly s3Code: string },
  cleanup: readonly Cleanup[],
  at: Date,
): OutcomeRecord {
  return {
    cleanup,
    event: {
      ...envelope(who, 'upload-failed', at),
      event: { $case: 'uploadFailed', value: { ...failure } },
    },
  };
}

export function abortedOutcome(
  who: UploadRef,
  reason: string,
  cleanup: readonly Cleanup[],
  at: Date,
): OutcomeRecord {
  return {
    cleanup,
    event: { ...envelope(who, 'upload-aborted', at), event: { $case: 'uploadAborted', value: { reason } } },
  };
}

export function expiredOutcome(
  who: UploadRef,
  lastActivityAt: Date,
  reason: string,
  cleanup: readonly Cleanup[],
  at: Date,
): OutcomeRecord {
  return {
    cleanup,
    event: {
      ...envelope(who, 'upload-expired', at),
      event: { $case: 'uploadExpired', value: { lastActivityAt, reason } },
    },
  };
}

function envelope(
  who: UploadRef,
  kind: Parameters<typeof outcomeEventId>[1],
  at: Date,
): Omit<UploadEvent, 'event'> {
  return {
    eventId: outcomeEventId(who.uploadId, kind),
    uploadId: who.uploadId,
    nodeId: who.nodeId,
    tenant: who.tenant,
    drive: who.drive,
    occurredAt: at,
  };
}

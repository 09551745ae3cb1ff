import { DataLossError, InvalidArgumentError, SluiceError, UnavailableError } from '@sluice/errors';
import type { ChecksumMode, PartEvent_AllPartsStored, PartEvent_S3Location, UploadRef } from '@sluice/proto';
import {
  unquoteEtag,
  type MultipartRef,
  type ObjectHead,
  type ObjectStore,
  type PartToComplete,
} from '@sluice/storage';
import { inSpan } from '@sluice/telemetry';
import type { Drive } from '@sluice/tenants';
import type { Logger } from 'pino';
import type { AssemblerState } from './assembler-state.ts';
import type { AssemblerMetrics } from './metrics.ts';
import { completedOutcome, failedOutcome, type Cleanup, type OutcomeRecord } from './outcomes.ts';
import {
  checkObject,
  describeMismatches,
  fullObjectChecksum,
  multipartEtag,
  partChecksum,
} from './verify.ts';

/** What becomes of an object that fails verification after Sluice wrote it. */
export interface QuarantinePolicy {
  /** `delete` removes the object; `quarantine` moves it under `prefix` in the same bucket. @default 'delete' */
  readonly mode: 'delete' | 'quarantine';
  /** Put before the object's key when quarantined. @default 'sluice-quarantine/' */
  readonly prefix: string;
}

/** Points where a test can stop the process to prove recovery. */
export interface AssemblerHooks {
  /** Called right after CompleteMultipartUpload succeeded, before anything else. */
  readonly afterComplete?: (uploadId: string) => void | Promise<void>;
}

/** Options of {@link Completion}. */
export interface CompletionOptions {
  readonly store: AssemblerState;
  readonly metrics: AssemblerMetrics;
  readonly quarantine: QuarantinePolicy;
  readonly hooks?: AssemblerHooks | undefined;
  readonly now: () => number;
}

/** One upload to complete: who it is, what AllPartsStored said, where, and since when it is claimed. */
export interface CompletionTask {
  readonly who: UploadRef;
  readonly facts: PartEvent_AllPartsStored;
  readonly location: PartEvent_S3Location;
  readonly drive: Drive;
  /** The drive's object store. */
  readonly objects: ObjectStore;
  readonly mode: ChecksumMode;
  /** When the upload was first claimed for completion: its announced completion time. */
  readonly since: number;
  readonly log: Logger;
  readonly signal: AbortSignal;
}

/** How the object was put in place in this attempt. */
interface Placed {
  /** The version to verify ('' for the current one). */
  readonly versionId: string;
  /** True when this attempt's CompleteMultipartUpload created the object. */
  readonly completedNow: boolean;
  /** The exact ETag the object must have (a PutObject's), when known. */
  readonly etag: string | undefined;
  readonly multipartEtag: string | undefined;
}

/**
 * Puts an upload's object in place and decides its outcome: CompleteMultipartUpload with the
 * parts in ascending order, quoted ETags, their checksums and the FULL_OBJECT checksum of the
 * drive's mode (or the single PutObject as it is); HeadObject to verify size, reported
 * checksums and ETag; the whole-file SHA-256 the part-writer computed, checked against the
 * client's. The object is read back only when the drive asks for it (`readBack`) or the
 * part-writer could not compute the hash (its owner changed mid-upload).
 *
 * Safe to repeat: a retried completion that gets NoSuchUpload (completed by an attempt that
 * died, or aborted) is followed by HeadObject, and the object there is accepted only if it
 * matches. Returns the completed or failed outcome; throws only what a retry can fix.
 */
export class Completion {
  readonly #o: CompletionOptions;

  constructor(options: CompletionOptions) {
    this.#o = options;
  }

  /** Completes the upload, in a span within the trace of the event that found it ready. */
  run(task: CompletionTask): Promise<OutcomeRecord> {
    return inSpan(
      'complete upload',
      {
        attributes: {
          'sluice.upload_id': task.who.uploadId,
          'sluice.multipart': Boolean(task.location.multipartUploadId),
        },
      },
      () => this.#run(task),
    );
  }

  async #run(task: CompletionTask): Promise<OutcomeRecord> {
    const { who, facts, location: loc, drive, objects, mode, signal } = task;
    let placedAny = false;
    try {
      const placed = loc.multipartUploadId
        ? await this.#completeMultipart(task)
        : {
            versionId: facts.versionId,
            completedNow: false,
            etag: unquoteEtag(facts.etag),
            multipartEtag: undefined,
          };
      placedAny = true;
      const head = await objects.headObject(
        { bucket: loc.bucket, key: loc.key, versionId: placed.versionId },
        signal,
      );
      const mismatches = checkObject(
        {
          size: Number(facts.totalSize),
          crc64nvme: facts.crc64nvme,
          crc32c: facts.crc32c,
          crc32: facts.crc32,
          mode,
          etag: placed.etag,
          multipartEtag: placed.multipartEtag,
        },
        head,
      );
      if (mismatches.length > 0 || !head) {
        for (const m of mismatches) this.#o.metrics.verifyFailures.inc({ check: m.what });
        const removal = isOurs(placed, head) && head ? this.#removal(drive, loc, head) : undefined;
        const what = loc.multipartUploadId
          ? `the object completed from multipart upload ${loc.multipartUploadId}`
          : 'the object written by PutObject';
        const error = new DataLossError(
          'STORAGE_VERIFY_FAILED',
          `${what} at s3://${loc.bucket}/${loc.key} does not match what was uploaded (${describeMismatches(mismatches)}); ` +
            `${removal ? removal.said : 'the object was left in place, since Sluice cannot prove it wrote it'}: send the file again`,
        );
        return this.#failed(task, error, removal ? [removal.cleanup] : []);
      }
      const hashed = await this.#wholeFileSha256(task, head);
      if ('mismatch' in hashed) {
        this.#o.metrics.verifyFailures.inc({ check: 'sha256' });
        const removal = this.#removal(drive, loc, head);
        const error =
          hashed.of === 'client'
            ? new InvalidArgumentError(
                `${hashed.mismatch}; ${removal.said}: check the file and send it again`,
                {
                  code: 'CHECKSUM_MISMATCH',
                },
              )
            : new DataLossError(
                'STORAGE_VERIFY_FAILED',
                `${hashed.mismatch}; ${removal.said}: send the file again`,
              );
        return this.#failed(task, error, [removal.cleanup]);
      }
      if (!placed.completedNow && loc.multipartUploadId) this.#o.metrics.alreadyComplete.inc();
      return completedOutcome(who, facts, {
        etag: head.etag,
        versionId: head.versionId,
        completedAt: new Date(task.since),
        sha256: hashed.sha256,
      });
    } catch (err) {
      if (!(err instanceof SluiceError) || err.retriable || signal.aborted) throw err;
      // Refused for good before the object existed: the multipart upload would only cost money.
      const cleanup: Cleanup[] =
        !placedAny && loc.multipartUploadId
          ? [
              {
                kind: 'abort-multipart',
                tenant: who.tenant,
                drive: who.drive,
                bucket: loc.bucket,
                key: loc.key,
                uploadId: loc.multipartUploadId,
              },
            ]
          : [];
      return this.#failed(task, err, cleanup);
    }
  }

  async #completeMultipart(task: CompletionTask): Promise<Placed> {
    const { who, facts, location: loc, objects, mode, log, signal } = task;
    const ref: MultipartRef = { bucket: loc.bucket, key: loc.key, uploadId: loc.multipartUploadId };
    const known = (await this.#o.store.parts(who.uploadId)).filter(
      (p) => p.multipartUploadId === ref.uploadId && p.partNumber <= facts.partCount,
    );
    let parts: PartToComplete[] | undefined;
    if (isComplete(known, facts.partCount)) {
      parts = known.map((p) => {
        const checksum = partChecksum(mode, p);
        return { partNumber: p.partNumber, etag: p.etag, ...(checksum ? { checksum } : {}) };
      });
    } else {
      // The list in Redis is short (its keys were lost, or events were dead-lettered): ask the store.
      log.warn(
        { known: known.length, partCount: facts.partCount },
        'part list incomplete; reconciling with ListParts',
      );
      const listed = await objects.listParts(ref, mode, signal);
      if (listed !== 'no-such-upload') {
        const wanted = listed
          .filter((p) => p.partNumber <= facts.partCount)
          .sort((a, b) => a.partNumber - b.partNumber);
        if (!isComplete(wanted, facts.partCount)) {
          throw new DataLossError(
            'STORAGE_VERIFY_FAILED',
            `multipart upload ${ref.uploadId} of s3://${ref.bucket}/${ref.key} holds ${wanted.length} of the ` +
              `${facts.partCount} parts AllPartsStored announced: send the file again`,
          );
        }
        parts = wanted;
      }
    }
    const expectedEtag = parts ? multipartEtag(parts.map((p) => p.etag)) : undefined;
    const result = parts
      ? await objects.completeMultipartUpload(ref, parts, fullObjectChecksum(mode, facts), signal)
      : ({ status: 'no-such-upload' } as const);
    if (result.status === 'completed') {
      await this.#o.hooks?.afterComplete?.(who.uploadId);
      return {
        versionId: result.versionId,
        completedNow: true,
        etag: undefined,
        multipartEtag: expectedEtag,
      };
    }
    // Completed by an earlier attempt that did not live to announce it, or aborted: HeadObject decides.
    log.info({ multipart_upload_id: ref.uploadId }, 'multipart upload is gone; checking the object');
    return { versionId: '', completedNow: false, etag: undefined, multipartEtag: expectedEtag };
  }

  /**
   * The object's whole-file SHA-256: the part-writer's, or the object's own read back when the
   * drive asks for that or the part-writer has none. Returns what differs when it is not the
   * client's (`of: 'client'`), or when the bytes read back are not the ones hashed on the way in
   * (`of: 'store'`).
   */
  async #wholeFileSha256(
    task: CompletionTask,
    head: ObjectHead,
  ): Promise<{ readonly sha256: Buffer } | { readonly mismatch: string; readonly of: 'client' | 'store' }> {
    const { who, facts, location: loc, drive, objects, signal } = task;
    const where = `s3://${loc.bucket}/${loc.key}`;
    const client = rawSha256(facts.sha256, 'the client gave at seal', who.uploadId);
    const stored = rawSha256(facts.contentSha256, 'the part-writer computed', who.uploadId);
    let sha256 = stored;
    if (!sha256 || drive.readBack === true) {
      const read = await objects.sha256OfObject(
        { bucket: loc.bucket, key: loc.key, versionId: head.versionId },
        signal,
      );
      this.#o.metrics.sha256Bytes.inc(read.size);
      if (read.size !== head.size) {
        throw new UnavailableError(
          'STORAGE_UNAVAILABLE',
          `reading ${where} back gave ${read.size} of ${head.size} bytes; it will be retried`,
        );
      }
      if (stored && !read.sha256.equals(stored)) {
        return {
          of: 'store',
          mismatch:
            `the SHA-256 of ${where} read back is ${read.sha256.toString('hex')}, ` +
            `but the bytes Sluice stored there hashed to ${stored.toString('hex')}`,
        };
      }
      sha256 = read.sha256;
    }
    if (client && !client.equals(sha256)) {
      return {
        of: 'client',
        mismatch:
          `the SHA-256 of ${where} is ${sha256.toString('hex')}, ` +
          `but the client declared ${client.toString('hex')} when it sealed upload ${who.uploadId}`,
      };
    }
    return { sha256 };
  }

  #removal(drive: Drive, loc: PartEvent_S3Location, head: ObjectHead): { cleanup: Cleanup; said: string } {
    const base = {
      tenant: drive.tenant,
      drive: drive.name,
      bucket: loc.bucket,
      key: loc.key,
      versionId: head.versionId,
    };
    if (this.#o.quarantine.mode === 'quarantine') {
      const to = `${this.#o.quarantine.prefix}${loc.key}`;
      return {
        cleanup: { ...base, kind: 'quarantine-object', size: head.size, to },
        said: `the object was moved to s3://${loc.bucket}/${to}`,
      };
    }
    return { cleanup: { ...base, kind: 'remove-object' }, said: 'the object was removed' };
  }

  #failed(task: CompletionTask, error: SluiceError, cleanup: readonly Cleanup[]): OutcomeRecord {
    task.log.warn({ err: error }, 'upload failed');
    return failedOutcome(task.who, error, cleanup, new Date(this.#o.now()));
  }
}

/**
 * Whether the object at the key is provably the one this upload wrote; only such an object is
 * ever removed. The ETag decides when it can be known (a PutObject's, or an S3-style multipart
 * ETag, which depends only on the parts, so it matches even when the content is corrupt); else
 * a completion that succeeded in this attempt. Not the completion alone: some stores (versitygw)
 * answer a completion of an unknown upload id with success when any object is at the key.
 */
/** A raw SHA-256 from an event; undefined when empty. */
function rawSha256(value: Uint8Array, what: string, uploadId: string): Buffer | undefined {
  if (value.length === 0) return undefined;
  if (value.length !== 32) {
    throw new InvalidArgumentError(
      `the whole-file SHA-256 ${what} for upload ${uploadId} has ${value.length} bytes, not 32: it must be passed on raw`,
    );
  }
  return Buffer.from(value);
}

function isOurs(placed: Placed, head: ObjectHead | undefined): boolean {
  if (!head) return false;
  if (placed.etag !== undefined) return head.etag === placed.etag;
  if (placed.multipartEtag !== undefined && /^[0-9a-f]{32}-\d+$/.test(head.etag))
    return head.etag === placed.multipartEtag;
  return placed.completedNow;
}

/** True when `parts` (sorted, distinct) are exactly 1..count. */
function isComplete(parts: readonly { partNumber: number }[], count: number): boolean {
  if (count < 1 || parts.length !== count) return false;
  return parts.every((p, i) => p.partNumber === i + 1);
}

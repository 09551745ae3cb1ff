import { performance } from 'node:perf_hooks';
import { InvalidArgumentError, NotFoundError, type SluiceError } from '@sluice/errors';
import { forUpload } from '@sluice/logging';
import {
  checksumModeFromWire,
  uploadRefOf,
  type PartEvent,
  type PartEvent_AllPartsStored,
  type PartEvent_PartStored,
  type UploadRef,
} from '@sluice/proto';
import type { DeadLetter, StreamRecord } from '@sluice/kafka';
import { unquoteEtag } from '@sluice/storage';
import type { Logger } from 'pino';
import type { AssemblerState, RecordedPart } from './assembler-state.ts';
import { Completion, type AssemblerHooks, type QuarantinePolicy } from './completion.ts';
import type { AssemblerMetrics } from './metrics.ts';
import type { DriveAccess, OutcomePublisher } from './outcome-publisher.ts';
import { abortedOutcome, failedOutcome, forwardedFailure, type Cleanup } from './outcomes.ts';

/** Options of {@link Assembler}. */
export interface AssemblerOptions extends DriveAccess {
  readonly store: AssemblerState;
  readonly publisher: OutcomePublisher;
  readonly logger: Logger;
  readonly metrics: AssemblerMetrics;
  /** @default { mode: 'delete', prefix: 'sluice-quarantine/' } */
  readonly quarantine?: QuarantinePolicy;
  /** Decodes a dead-lettered `intake.parts` record, so the upload it belongs to can be failed. */
  readonly decode?: (value: Buffer) => Promise<PartEvent>;
  readonly hooks?: AssemblerHooks;
  readonly now?: () => number;
}

/**
 * The `intake.parts` handler. PartStored events build each upload's part list in Redis;
 * AllPartsStored completes the multipart upload (or takes the single PutObject as it is),
 * verifies the object, and announces UploadCompleted; the part-writer's UploadFailed and
 * UploadAborted are passed on. Every path ends through the {@link OutcomePublisher}, so an
 * upload has one outcome, announced under one event id however often its events arrive.
 *
 * Idempotency of completion: the claim (`completing`) keeps the expiry sweeper away and
 * fixes the completion time on first try; a CompleteMultipartUpload that answers
 * NoSuchUpload on a retry is followed by HeadObject, and the object there is accepted only
 * if its size, checksums and ETag match what was sent.
 */
export class Assembler {
  readonly #o: AssemblerOptions;
  readonly #log: Logger;
  readonly #completion: Completion;
  readonly #now: () => number;

  constructor(options: AssemblerOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'assembler' });
    this.#now = options.now ?? Date.now;
    this.#completion = new Completion({
      store: options.store,
      metrics: options.metrics,
      quarantine: options.quarantine ?? { mode: 'delete', prefix: 'sluice-quarantine/' },
      hooks: options.hooks,
      now: this.#now,
    });
  }

  /** The stream processor's handler (records of one node in order). */
  readonly handle = async (record: StreamRecord<PartEvent>, signal: AbortSignal): Promise<void> => {
    const env = record.value;
    if (!env.uploadId) {
      throw new InvalidArgumentError(
        `the ${record.topic} record at partition ${record.partition} offset ${record.offset} has no upload id; ` +
          'it cannot belong to any upload: find the producer that wrote it',
      );
    }
    const who = uploadRefOf(env);
    const log = forUpload(this.#log, { upload_id: env.uploadId, node_id: env.nodeId, tenant: env.tenant });
    switch (env.event?.$case) {
      case 'partStored':
        return this.#recordPart(who, env.event.value);
      case 'allPartsStored':
        return this.#complete(who, env.event.value, log, signal);
      case 'uploadFailed':
        return this.#forward(who, env.event, signal);
      case 'uploadAborted':
        return this.#forward(who, env.event, signal);
      default:
        throw new InvalidArgumentError(
          `the ${record.topic} record at partition ${record.partition} offset ${record.offset} carries no event ` +
            'this assembler knows; upgrade the assembler, then replay it from the dead-letter topic',
        );
    }
  };

  /** After a record was dead-lettered: the upload it ends is announced as failed, with the record's error. */
  readonly onDeadLetter = async (letter: DeadLetter): Promise<void> => {
    let env: PartEvent | undefined;
    try {
      if (this.#o.decode && letter.value) env = await this.#o.decode(letter.value);
    } catch (err) {
      this.#log.error(
        { err, offset: String(letter.offset) },
        'a dead letter cannot be decoded; no upload is failed for it',
      );
      return;
    }
    const kind = env?.event?.$case;
    // A lost PartStored is recovered with ListParts at completion; only the events that end an upload fail it.
    if (!env?.uploadId || (kind !== 'allPartsStored' && kind !== 'uploadFailed' && kind !== 'uploadAborted'))
      return;
    const who = uploadRefOf(env);
    const cleanup = await this.#abortCleanup(who);
    await this.#o.publisher.settle(
      who.uploadId,
      failedOutcome(who, letter.error, cleanup, new Date(this.#now())),
    );
  };

  async #recordPart(who: UploadRef, p: PartEvent_PartStored): Promise<void> {
    const part: RecordedPart = {
      partNumber: p.partNumber,
      bucket: p.location?.bucket ?? '',
      key: p.location?.key ?? '',
      etag: unquoteEtag(p.etag),
      size: Number(p.byteEnd - p.byteStart),
      crc64nvme: String(p.crc64nvme),
      crc32c: p.crc32c,
      crc32: p.crc32,
      multipartUploadId: p.location?.multipartUploadId ?? '',
    };
    if (await this.#o.store.recordPart(who.uploadId, part, this.#now())) this.#o.metrics.partsRecorded.inc();
    else this.#o.metrics.lateEvents.inc({ event: 'partStored' });
  }

  async #complete(
    who: UploadRef,
    facts: PartEvent_AllPartsStored,
    log: Logger,
    signal: AbortSignal,
  ): Promise<void> {
    const started = performance.now();
    const { store, publisher } = this.#o;
    const stored = await store.outcome(who.uploadId);
    if (stored) {
      this.#o.metrics.lateEvents.inc({ event: 'allPartsStored' });
      return publisher.resume(who.uploadId, stored, signal);
    }
    const drive = this.#o.tenants.driveOf(who.tenant, who.drive);
    const loc = facts.location;
    if (!drive) {
      return this.#fail(
        who,
        new NotFoundError(
          'DRIVE_NOT_FOUND',
          `drive "${who.drive}" of upload ${who.uploadId} is not in the tenants file, so the upload cannot be ` +
            'completed: add the drive back and send the file again',
        ),
        [],
        log,
        signal,
      );
    }
    if (!loc?.bucket || !loc.key || (!loc.multipartUploadId && !facts.etag)) {
      return this.#fail(
        who,
        new InvalidArgumentError(
          `AllPartsStored of upload ${who.uploadId} names no bucket and key, or neither a multipart upload nor a ` +
            'PutObject ETag: the part-writer must send them',
        ),
        [],
        log,
        signal,
      );
    }
    const claim = await store.claim(who.uploadId, 'completing', this.#now());
    if (claim.result === 'done') {
      const now = await store.outcome(who.uploadId);
      if (now) await publisher.resume(who.uploadId, now, signal);
      return;
    }
    if (claim.result !== 'ok') {
      // The sweeper is expiring the upload; it announces UploadExpired and aborts the multipart upload.
      log.warn(
        { held: claim },
        'AllPartsStored arrived while the upload is being expired; leaving it to expiry',
      );
      this.#o.metrics.lateEvents.inc({ event: 'allPartsStored' });
      return;
    }
    const outcome = await this.#completion.run({
      who,
      facts,
      location: loc,
      drive,
      objects: this.#o.objects.for(drive),
      mode: checksumModeFromWire(facts.checksumMode) ?? drive.checksumMode,
      since: claim.since,
      log,
      signal,
    });
    await publisher.settle(who.uploadId, outcome, signal);
    if (outcome.event.event?.$case === 'uploadCompleted')
      this.#o.metrics.completionSeconds.observe((performance.now() - started) / 1000);
  }

  async #forward(
    who: UploadRef,
    event:
      | { $case: 'uploadFailed'; value: { errorCode: string; message: string; s3Code: string } }
      | { $case: 'uploadAborted'; value: { reason: string } },
    signal: AbortSignal,
  ): Promise<void> {
    const stored = await this.#o.store.outcome(who.uploadId);
    if (stored) {
      this.#o.metrics.lateEvents.inc({ event: event.$case });
      return this.#o.publisher.resume(who.uploadId, stored, signal);
    }
    const cleanup = await this.#abortCleanup(who);
    const at = new Date(this.#now());
    const outcome =
      event.$case === 'uploadFailed'
        ? forwardedFailure(who, event.value, cleanup, at)
        : abortedOutcome(who, event.value.reason, cleanup, at);
    await this.#o.publisher.settle(who.uploadId, outcome, signal);
  }

  /** Aborting the upload's multipart upload, when the part-writer named one (aborting twice is harmless). */
  async #abortCleanup(who: UploadRef): Promise<Cleanup[]> {
    const state = await this.#o.store.state(who.uploadId);
    const multipart = state.multipart ?? state.partWriterMultipart;
    return multipart ? [{ kind: 'abort-multipart', tenant: who.tenant, drive: who.drive, ...multipart }] : [];
  }

  async #fail(
    who: UploadRef,
    error: SluiceError,
    cleanup: readonly Cleanup[],
    log: Logger,
    signal: AbortSignal,
  ): Promise<void> {
    log.warn({ err: error }, 'upload failed');
    await this.#o.publisher.settle(
      who.uploadId,
      failedOutcome(who, error, cleanup, new Date(this.#now())),
      signal,
    );
  }
}

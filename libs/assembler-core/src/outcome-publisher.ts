import type { UploadEvent } from '@sluice/proto';
import type { StagingStore } from '@sluice/staging';
import type { ObjectStores } from '@sluice/storage';
import type { Drive, Tenants } from '@sluice/tenants';
import type { Logger } from 'pino';
import type { AssemblerState, StoredOutcome } from './assembler-state.ts';
import type { AssemblerMetrics } from './metrics.ts';
import type { OutcomeRecord, StoredCleanup } from './outcomes.ts';

/** Where outcomes are announced: the `intake.uploads` producer (resolves once durable). */
export interface OutcomeEvents {
  produce(event: UploadEvent): Promise<unknown>;
}

/** Each tenant's drives, and the object store of each (`objectStoresOf` from @sluice/storage). */
export interface DriveAccess {
  readonly tenants: Pick<Tenants, 'driveOf' | 'drives'>;
  readonly objects: ObjectStores;
}

/** Options of {@link OutcomePublisher}. */
export interface OutcomePublisherOptions extends DriveAccess {
  readonly store: AssemblerState;
  readonly staging: StagingStore;
  readonly events: OutcomeEvents;
  readonly logger: Logger;
  readonly metrics: AssemblerMetrics;
}

const OUTCOME_LABEL = {
  uploadCompleted: 'completed',
  uploadFailed: 'failed',
  uploadAborted: 'aborted',
  uploadExpired: 'expired',
} as const;

/**
 * Ends uploads, in an order that makes every step safe to repeat: the outcome is stored
 * first (first writer wins, so one upload has one outcome whichever instance or path decides),
 * then its S3 clean-up runs, then its event is produced, then the upload's Redis state is
 * dropped, then the outcome is marked published. A crash anywhere leaves the outcome stored
 * and unpublished, and the next attempt — a redelivery, the next sweep — publishes that
 * same outcome again: the same event id and the same bytes.
 */
export class OutcomePublisher {
  readonly #o: OutcomePublisherOptions;

  constructor(options: OutcomePublisherOptions) {
    this.#o = options;
  }

  /** Stores `proposed` unless the upload has an outcome, then publishes whichever holds. */
  async settle(uploadId: string, proposed: OutcomeRecord, signal?: AbortSignal): Promise<OutcomeRecord> {
    const winner = await this.#o.store.settle(uploadId, proposed);
    if (winner.event.eventId !== proposed.event.eventId) {
      this.#o.logger.info(
        { upload_id: uploadId, proposed: proposed.event.event?.$case, held: winner.event.event?.$case },
        'the upload already has another outcome; announcing that one',
      );
    }
    await this.publish(uploadId, winner, signal);
    return winner;
  }

  /** Finishes publishing a stored outcome a crash interrupted; nothing when it was published. */
  async resume(uploadId: string, stored: StoredOutcome, signal?: AbortSignal): Promise<void> {
    if (!stored.published) await this.publish(uploadId, stored.record, signal);
  }

  async publish(uploadId: string, record: OutcomeRecord, signal?: AbortSignal): Promise<void> {
    for (const step of record.cleanup) await this.#cleanup(step, signal);
    await this.#o.events.produce(record.event);
    await this.#o.staging.deleteUpload(uploadId);
    await this.#o.store.markPublished(uploadId);
    const kind = record.event.event?.$case;
    if (kind) this.#o.metrics.outcomes.inc({ outcome: OUTCOME_LABEL[kind] });
    if (record.event.event?.$case === 'uploadCompleted')
      this.#o.metrics.completedBytes.inc(Number(record.event.event.value.size));
    this.#o.logger.info(
      { upload_id: uploadId, node_id: record.event.nodeId, event_id: record.event.eventId, outcome: kind },
      'upload announced',
    );
  }

  async #cleanup(step: StoredCleanup, signal: AbortSignal | undefined): Promise<void> {
    const drive = driveOfCleanup(this.#o.tenants, step);
    if (!drive) {
      // Nothing can reach the store without the drive's credentials; the reconciler, run with
      // the drive back in the tenants file, finds what is left.
      const which =
        step.tenant === undefined
          ? `drive "${step.drive}" (stored without its tenant) is in no tenant or in more than one`
          : `drive "${step.drive}" of tenant ${step.tenant} is not in the tenants file`;
      this.#o.logger.warn({ step: { ...step } }, `${which}; skipping clean-up`);
      return;
    }
    const objects = this.#o.objects.for(drive);
    switch (step.kind) {
      case 'abort-multipart':
        await objects.abortMultipartUpload(step, signal);
        return;
      case 'remove-object':
        await objects.deleteObject(step, signal);
        return;
      case 'quarantine-object':
        await objects.moveObject(step, signal);
        return;
    }
  }
}

/**
 * The drive a clean-up acts on. A clean-up stored before drive names became per tenant has no
 * tenant: it was written when each name was unique across tenants, so the one drive of that name
 * is the one meant, if the tenants file still has exactly one. When two tenants now have a
 * drive of that name, picking either could act on the wrong tenant's store, so the drive is
 * treated as missing (the step is skipped, as for a drive removed from the file).
 */
function driveOfCleanup(
  tenants: Pick<Tenants, 'driveOf' | 'drives'>,
  step: Pick<StoredCleanup, 'tenant' | 'drive'>,
): Drive | undefined {
  if (step.tenant !== undefined) return tenants.driveOf(step.tenant, step.drive);
  const named = tenants.drives.filter((d) => d.name === step.drive);
  return named.length === 1 ? named[0] : undefined;
}

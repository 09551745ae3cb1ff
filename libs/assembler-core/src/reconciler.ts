import type { StagingStore } from '@sluice/staging';
import type { MultipartRef } from '@sluice/storage';
import type { Drive } from '@sluice/tenants';
import type { Logger } from 'pino';
import type { AssemblerState } from './assembler-state.ts';
import type { AssemblerMetrics } from './metrics.ts';
import type { DriveAccess } from './outcome-publisher.ts';

/** Options of {@link Reconciler}. */
export interface ReconcilerOptions extends DriveAccess {
  readonly staging: StagingStore;
  readonly store: AssemblerState;
  /** Multipart uploads younger than this are left alone, whatever Redis says. @default 1 h */
  readonly graceMs?: number;
  readonly logger: Logger;
  readonly metrics?: AssemblerMetrics;
  readonly now?: () => number;
}

/** What the reconciler did (or, in a dry run, would do) with one multipart upload. */
export type OrphanAction = 'aborted' | 'would-abort' | 'gone' | 'kept-known' | 'kept-recent';

export interface ReconcileEntry extends MultipartRef {
  readonly drive: string;
  readonly initiated: Date | undefined;
  readonly action: OrphanAction;
}

export interface ReconcileReport {
  readonly dryRun: boolean;
  /** Every multipart upload found under Sluice's key prefixes, with what became of it. */
  readonly entries: readonly ReconcileEntry[];
  /** Uploads Redis knows (with a staging record). */
  readonly knownUploads: number;
}

/**
 * Finds multipart uploads that no upload owns any more and aborts them: under each drive's
 * key prefix (its key template up to the first per-upload variable), every unfinished
 * multipart upload whose destination key no upload in Redis targets, and whose id no
 * upload's assembler state names, is an orphan once older than the grace period (which
 * covers uploads created after Redis was read). Such leftovers come from crashes between
 * CreateMultipartUpload and the first PartStored, from uploads whose Redis keys expired, or
 * from a Redis that was lost. Object stores bill for their parts until they are aborted.
 */
export class Reconciler {
  readonly #o: ReconcilerOptions;
  readonly #now: () => number;

  constructor(options: ReconcilerOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
  }

  async run(options: { readonly dryRun: boolean; readonly signal?: AbortSignal }): Promise<ReconcileReport> {
    const { keys, multipartIds, count } = await this.#known();
    const cutoff = this.#now() - (this.#o.graceMs ?? 3_600_000);
    const entries: ReconcileEntry[] = [];
    const seen = new Set<string>();
    for (const { drive, prefix } of scanTargets(this.#o.tenants.drives)) {
      const objects = this.#o.objects.for(drive);
      for await (const u of objects.listMultipartUploads(drive.bucket, prefix, options.signal)) {
        const id = `${drive.endpoint}|${drive.bucket}|${u.uploadId}`;
        if (seen.has(id)) continue;
        seen.add(id);
        const ref = { bucket: drive.bucket, key: u.key, uploadId: u.uploadId };
        const base = { ...ref, drive: drive.name, initiated: u.initiated };
        let action: OrphanAction;
        if (keys.has(destinationId(drive.endpoint, drive.bucket, u.key)) || multipartIds.has(u.uploadId)) {
          action = 'kept-known';
        } else if (u.initiated === undefined || u.initiated.getTime() > cutoff) {
          action = 'kept-recent';
        } else if (options.dryRun) {
          action = 'would-abort';
        } else {
          action = await objects.abortMultipartUpload(ref, options.signal);
          this.#o.logger.info(
            { ...base },
            action === 'aborted' ? 'orphaned multipart upload aborted' : 'orphan already gone',
          );
        }
        if (action === 'aborted' || action === 'would-abort' || action === 'gone')
          this.#o.metrics?.orphans.inc({ action: action.replace('-', '_') });
        entries.push({ ...base, action });
      }
    }
    return { dryRun: options.dryRun, entries, knownUploads: count };
  }

  /** Destination keys and multipart upload ids of every upload Redis knows. */
  async #known(): Promise<{ keys: Set<string>; multipartIds: Set<string>; count: number }> {
    const { staging, store } = this.#o;
    const keys = new Set<string>();
    const multipartIds = new Set<string>();
    let count = 0;
    for await (const ids of staging.uploadIds()) {
      const known = await Promise.all(
        ids.map(async (id) => ({ meta: await staging.getUpload(id), state: await store.state(id) })),
      );
      for (const { meta, state } of known) {
        if (state.partWriterMultipart) multipartIds.add(state.partWriterMultipart.uploadId);
        if (state.multipart) multipartIds.add(state.multipart.uploadId);
        if (!meta) continue;
        count++;
        const d = meta.destination;
        keys.add(destinationId(d.endpoint, d.bucket, d.key));
      }
    }
    return { keys, multipartIds, count };
  }
}

/** Where to list: each distinct endpoint, bucket and key prefix of the drives. */
export function scanTargets(drives: readonly Drive[]): { drive: Drive; prefix: string }[] {
  const targets = new Map<string, { drive: Drive; prefix: string }>();
  for (const drive of drives) {
    const prefix = staticPrefix(drive);
    const id = `${drive.endpoint}|${drive.bucket}|${prefix}`;
    if (!targets.has(id)) targets.set(id, { drive, prefix });
  }
  return [...targets.values()];
}

/** The part of the drive's key template every one of its uploads shares. */
export function staticPrefix(drive: Pick<Drive, 'keyTemplate' | 'tenant' | 'name'>): string {
  const rendered = drive.keyTemplate.replaceAll('{tenant}', drive.tenant).replaceAll('{drive}', drive.name);
  const open = rendered.indexOf('{');
  return open === -1 ? rendered : rendered.slice(0, open);
}

function destinationId(endpoint: string, bucket: string, key: string): string {
  return `${endpoint.replace(/\/+$/, '')}|${bucket}|${key}`;
}

import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { StagingStore } from '@sluice/staging';
import type { Logger } from 'pino';
import type { AssemblerState } from './assembler-state.ts';
import type { Lease } from './lease.ts';
import type { AssemblerMetrics } from './metrics.ts';
import type { DriveAccess, OutcomePublisher } from './outcome-publisher.ts';
import { expiredOutcome, type Cleanup } from './outcomes.ts';

/** Options of {@link ExpirySweeper}. */
export interface ExpirySweeperOptions extends DriveAccess {
  readonly staging: StagingStore;
  readonly store: AssemblerState;
  readonly publisher: OutcomePublisher;
  /** Shared by every instance; only its holder sweeps. Its TTL should exceed `intervalMs`. */
  readonly lease: Lease;
  /** An upload with no activity for this long is expired. @default 24 h */
  readonly idleTimeoutMs?: number;
  /** Time between sweeps (±20 % jitter). @default 5 min */
  readonly intervalMs?: number;
  /** Uploads expired at once. @default 4 */
  readonly concurrency?: number;
  readonly logger: Logger;
  readonly metrics: AssemblerMetrics;
  readonly now?: () => number;
}

/** What one sweep did. */
export interface SweepResult {
  /** False when another instance holds the lease (nothing was looked at). */
  readonly leader: boolean;
  readonly checked: number;
  readonly expired: readonly string[];
  readonly failed: number;
}

/**
 * Expires uploads that saw no activity for the idle timeout: the multipart upload aborted,
 * the staged bytes and every other key of the upload deleted, UploadExpired announced.
 * Activity is ingest's `updatedAt` (refreshed on every chunk, seal, abort) or the last
 * PartStored, whichever is later. Idle uploads are found through staging's `uploadIds`.
 *
 * Several instances may run it: one holds the lease and sweeps; and each upload is claimed
 * (`expiring`) atomically against its completion, so even two sweepers, or a sweeper and a
 * late AllPartsStored, never give an upload two outcomes.
 */
export class ExpirySweeper {
  readonly idleTimeoutMs: number;
  readonly intervalMs: number;
  readonly #o: ExpirySweeperOptions;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(options: ExpirySweeperOptions) {
    this.#o = options;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 24 * 3_600_000;
    this.intervalMs = options.intervalMs ?? 5 * 60_000;
    this.#log = options.logger.child({ component: 'expiry' });
    this.#now = options.now ?? Date.now;
  }

  /** Starts sweeping every interval; the first sweep comes after a random part of one interval. */
  start(): Promise<void> {
    this.#loop ??= this.#run();
    return Promise.resolve();
  }

  /** Stops sweeping, waits for the sweep in progress, and gives the lease up. */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.#loop;
    await this.#o.lease
      .release()
      .catch((err: unknown) => this.#log.warn({ err }, 'releasing the lease failed'));
  }

  async #run(): Promise<void> {
    let delay = Math.random() * Math.min(this.intervalMs, 30_000);
    for (;;) {
      try {
        await sleep(delay, undefined, { signal: this.#stop.signal });
      } catch {
        return;
      }
      await this.sweep(this.#stop.signal).catch((err: unknown) => {
        this.#o.metrics.sweeps.inc({ result: 'failed' });
        this.#log.error({ err }, 'expiry sweep failed; trying again next interval');
      });
      delay = this.intervalMs * (0.8 + 0.4 * Math.random());
    }
  }

  /** One sweep, if this instance holds (or takes) the lease. */
  async sweep(signal?: AbortSignal): Promise<SweepResult> {
    if (!(await this.#o.lease.acquire())) {
      this.#o.metrics.sweeps.inc({ result: 'not_leader' });
      return { leader: false, checked: 0, expired: [], failed: 0 };
    }
    const started = performance.now();
    const now = this.#now();
    const cutoff = now - this.idleTimeoutMs;
    const expired: string[] = [];
    let checked = 0;
    let failed = 0;
    for await (const batch of this.#o.staging.uploadIds()) {
      if (signal?.aborted) break;
      const limit = this.#o.concurrency ?? 4;
      for (let i = 0; i < batch.length; i += limit) {
        const slice = batch.slice(i, i + limit);
        const results = await Promise.allSettled(slice.map((id) => this.expire(id, now, cutoff, signal)));
        results.forEach((r, k) => {
          checked++;
          if (r.status === 'fulfilled') {
            if (r.value) expired.push(slice[k]!);
          } else {
            failed++;
            this.#log.warn(
              { err: r.reason as unknown, upload_id: slice[k] },
              'expiring the upload failed; next sweep retries',
            );
          }
        });
      }
      // A long sweep keeps its lease; one that lost it stops, the new holder carries on.
      if (!(await this.#o.lease.renew())) break;
    }
    this.#o.metrics.sweeps.inc({ result: 'swept' });
    this.#o.metrics.sweepSeconds.observe((performance.now() - started) / 1000);
    if (expired.length > 0 || failed > 0)
      this.#log.info({ checked, expired: expired.length, failed }, 'expiry sweep done');
    return { leader: true, checked, expired, failed };
  }

  /**
   * Expires one upload if it is idle at `cutoff`; true when this call announced it.
   * Safe to repeat: a claimed, half-expired upload is picked up again by the next sweep.
   */
  async expire(uploadId: string, now: number, cutoff: number, signal?: AbortSignal): Promise<boolean> {
    const { store, staging, publisher } = this.#o;
    const claim = await store.claim(uploadId, 'expiring', now, cutoff);
    if (claim.result === 'done') {
      const stored = await store.outcome(uploadId);
      if (stored) await publisher.resume(uploadId, stored, signal);
      return false;
    }
    if (claim.result !== 'ok') return false;
    const meta = await staging.getUpload(uploadId);
    if (!meta) return false;
    const state = await store.state(uploadId);
    const lastActivity = Math.max(meta.updatedAt, state.lastPartAt);
    const cleanup: Cleanup[] = [];
    const { bucket, key } = meta.destination;
    const on = { tenant: meta.tenant, drive: meta.drive };
    if (state.multipart) {
      cleanup.push({ kind: 'abort-multipart', ...on, ...state.multipart });
    } else if (state.partWriterMultipart) {
      cleanup.push({ kind: 'abort-multipart', ...on, ...state.partWriterMultipart });
    } else {
      const drive = this.#o.tenants.driveOf(meta.tenant, meta.drive);
      if (drive && bucket && key) {
        // Neither a PartStored nor the part-writer's state names a multipart upload (a crash right
        // after creating it): look on the destination key for one old enough to be this upload's.
        for await (const u of this.#o.objects.for(drive).listMultipartUploads(bucket, key, signal)) {
          if (u.key === key && u.initiated !== undefined && u.initiated.getTime() < cutoff)
            cleanup.push({ kind: 'abort-multipart', ...on, bucket, key, uploadId: u.uploadId });
        }
      }
    }
    const who = { uploadId, nodeId: meta.nodeId, tenant: meta.tenant, drive: meta.drive };
    const reason = `no activity for ${formatDuration(now - lastActivity)} (the limit is ${formatDuration(this.idleTimeoutMs)})`;
    const outcome = expiredOutcome(who, new Date(lastActivity), reason, cleanup, new Date(now));
    const winner = await publisher.settle(uploadId, outcome, signal);
    return winner.event.eventId === outcome.event.eventId;
  }
}

function formatDuration(ms: number): string {
  if (ms >= 3_600_000) return `${(ms / 3_600_000).toFixed(1)} h`;
  if (ms >= 60_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 1000).toFixed(1)} s`;
}

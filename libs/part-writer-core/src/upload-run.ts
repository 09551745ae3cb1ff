import { toSluiceError, type SluiceError } from '@sluice/errors';
import type { Logger } from '@sluice/logging';
import { DEFAULT_PART_SIZE } from '@sluice/parts';
import { Semaphore } from '@sluice/concurrency';
import type { UploadRef } from '@sluice/proto';
import type { ObjectStore } from '@sluice/storage';
import type { FailureFacts, StoredUploadState, UploadInit } from './part-state.ts';
import { UploadLedger, type ChunkFacts } from '@sluice/part-ledger';
import { WholeFileHash } from './whole-file-hash.ts';

/** A part being written, and what it is written from. */
export interface InFlightPart {
  readonly fingerprint: string;
  readonly promise: Promise<void>;
}

/** Where an upload stands in this process. */
export type RunStatus = 'active' | 'done' | 'failed' | 'aborted';

/**
 * One upload as this process works on it, for as long as it owns the upload's partition: the
 * ledger rebuilt from Redis, the parts in flight, and the bounds on them. A run belongs to one
 * assignment of the partition (`epoch`, the processor's signal for it); a record that arrives
 * under another assignment rebuilds the run from Redis, since another process may have moved
 * the upload on meanwhile.
 */
export class UploadRun {
  readonly ref: UploadRef;
  readonly init: UploadInit;
  readonly ledger: UploadLedger;
  /** The drive's object store; undefined when the tenants file no longer has the drive. */
  readonly objects: ObjectStore | undefined;
  readonly log: Logger;
  /** The assignment the run was loaded under. */
  readonly epoch: AbortSignal | undefined;
  /** Aborts when the assignment ends or the upload stops (failed, aborted). */
  readonly signal: AbortSignal;
  readonly semaphore: Semaphore;
  readonly inflight = new Map<number, InFlightPart>();
  readonly tasks = new Set<Promise<void>>();
  /** Chunk writes as Redis holds them, for clean-up even when the ledger could not take them. */
  readonly storedChunks: readonly ChunkFacts[];
  /** Superseded writes whose segments are still to delete. */
  readonly garbage: Map<string, number>;
  status: RunStatus;
  failure: FailureFacts | undefined;
  failureEmitted: boolean;
  /** Set when the stored state contradicts itself: every record then fails the upload. */
  readonly broken: SluiceError | undefined;
  multipartUploadId: string | undefined;
  creatingMultipart: Promise<string> | undefined;
  sealedSha256: string;
  /** The whole-file SHA-256 as it grows; see {@link WholeFileHash}. */
  readonly hash: WholeFileHash;
  /** Parts stored when the run was loaded, in order: those past the hash are read again for it. */
  readonly storedAtLoad: readonly number[];
  /** Stored parts past the hash's checkpoint are still to read for the hash (after a load). */
  needsCatchUp: boolean;
  /** The hash's catch-up while it runs: AllPartsStored waits for it. */
  catchingUp: Promise<void> | undefined;
  /** The hash's {@link WholeFileHash.releasableThrough} when bytes were last released. */
  #releasedThrough: number;
  /** Its hex digest once stored in Redis (then AllPartsStored always says it). */
  contentSha256: string | undefined;
  /** A full clean-up pass is due (after a load, or after a clean-up failed). */
  needsSweep = true;
  finalizing: Promise<void> | undefined;
  failing: Promise<void> | undefined;
  readonly #stop = new AbortController();

  constructor(options: {
    ref: UploadRef;
    init: UploadInit;
    objects: ObjectStore | undefined;
    log: Logger;
    epoch: AbortSignal | undefined;
    uploadConcurrency: number;
    /** Bytes of parts read ahead of the hash that may wait for it. */
    hashReorderBytes: number;
    state: StoredUploadState | undefined;
  }) {
    const { init, state } = options;
    this.ref = options.ref;
    this.init = init;
    this.objects = options.objects;
    this.log = options.log;
    this.epoch = options.epoch;
    this.signal = options.epoch ? AbortSignal.any([options.epoch, this.#stop.signal]) : this.#stop.signal;
    this.semaphore = new Semaphore(options.uploadConcurrency);
    this.storedChunks = state?.chunks ?? [];
    this.garbage = new Map(state?.garbage ?? []);
    this.multipartUploadId = state?.multipartUploadId;
    this.sealedSha256 = state?.sealed?.sha256 ?? '';
    this.contentSha256 = state?.contentSha256;
    // Parts stored before this run were hashed in another run: the hash goes on from its checkpoint.
    this.hash = WholeFileHash.load(options.hashReorderBytes, state?.hashCheckpoint, state?.parts ?? []);
    this.storedAtLoad = (state?.parts ?? []).map((p) => p.partNumber).sort((a, b) => a - b);
    this.#releasedThrough = this.hash.releasableThrough;
    this.needsCatchUp =
      this.hash.lost === undefined && this.storedAtLoad.some((n) => n > this.hash.releasableThrough);
    this.failure = state?.failed;
    this.failureEmitted = state?.failedEmitted ?? false;
    this.status = state?.failed ? 'failed' : state?.done ? 'done' : 'active';
    let broken: SluiceError | undefined;
    let ledger: UploadLedger;
    try {
      ledger = new UploadLedger({
        policy: init.policy,
        fixedChunkSize: init.fixedChunkSize > 0 ? init.fixedChunkSize : undefined,
        checksumMode: init.checksumMode,
      });
    } catch (err) {
      // A policy S3 would refuse: the run exists only to fail the upload and clean up.
      broken = toSluiceError(err);
      ledger = new UploadLedger({
        policy: { kind: 'fixed', partSize: DEFAULT_PART_SIZE },
        checksumMode: 'none',
      });
    }
    this.ledger = ledger;
    try {
      for (const chunk of state?.chunks ?? []) this.ledger.addChunk(chunk);
      if (state?.sealed) this.ledger.seal(state.sealed.totalChunks);
      for (const part of state?.parts ?? []) this.ledger.markStored(part);
      for (const [chunk, prefix] of state?.deleted ?? []) this.ledger.markDeleted(chunk, prefix);
    } catch (err) {
      broken ??= toSluiceError(err);
    }
    this.broken = broken;
  }

  /**
   * The parts whose staged bytes to release now that part `stored` is stored: it, and those the
   * hash's saved checkpoint has passed since the last call; undefined for every part (the hash no
   * longer needs any bytes kept).
   */
  partsToRelease(stored: number): number[] | undefined {
    const through = this.hash.releasableThrough;
    const from = this.#releasedThrough;
    if (through === from) return [stored];
    this.#releasedThrough = through;
    if (through === Infinity) return undefined;
    const parts = [stored];
    for (let n = from + 1; n <= through; n++) if (n !== stored) parts.push(n);
    return parts;
  }

  /** Stops the run's work: in-flight parts see their signal abort and end quietly. */
  stop(status: 'failed' | 'aborted'): void {
    this.status = status;
    this.#stop.abort(new Error(`upload ${this.ref.uploadId} ${status}`));
  }

  /** Ends the run's work without ending the upload: the run is about to be loaded again from Redis. */
  retire(): void {
    this.#stop.abort(new Error(`upload ${this.ref.uploadId} is reloaded`));
  }

  /** True once the run's work must end: its assignment is over or the upload stopped. */
  get stopped(): boolean {
    return this.signal.aborted;
  }

  /** Runs `work` as one of the run's tasks, so an abort can wait for everything it started. */
  track(work: Promise<void>): Promise<void> {
    this.tasks.add(work);
    const forget = (): void => void this.tasks.delete(work);
    work.then(forget, forget);
    return work;
  }

  /** Waits until every task the run started has ended, whatever the outcome. */
  async settle(): Promise<void> {
    while (this.tasks.size > 0) await Promise.allSettled([...this.tasks]);
    await this.creatingMultipart?.catch(() => undefined);
  }
}

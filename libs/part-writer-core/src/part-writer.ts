import { resumableSha256Missing } from '@sluice/checksums';
import { InternalError, InvalidArgumentError, toSluiceError, type SluiceError } from '@sluice/errors';
import { forUpload, type Logger } from '@sluice/logging';
import { DEFAULT_PART_SIZE } from '@sluice/parts';
import {
  checksumModeFromWire,
  partSizeKindFromWire,
  uploadRefOf,
  type ChunkEvent,
  type UploadRef,
  type ChunkEvent_ChunkUploaded,
  type ChunkEvent_UploadInitiated,
} from '@sluice/proto';
import type { StagingStore, UploadMeta } from '@sluice/staging';
import { RETRY_POLICIES, withOverrides, type BackoffOptions } from '@sluice/retry';
import { Semaphore } from '@sluice/concurrency';
import { type Deferred } from '@sluice/kafka';
import type { Registry } from 'prom-client';
import type { PartEventSink, PartWriterDeps, ResolvedDrive } from './deps.ts';
import { partWriterMetrics } from './metrics.ts';
import { PartBuffers } from './part-buffers.ts';
import type { PartState, UploadInit } from './part-state.ts';
import { PartTasks } from './part-task.ts';
import type { ChunkFacts } from '@sluice/part-ledger';
import { UploadOutcomes, failureOf } from './upload-outcomes.ts';
import { UploadRun } from './upload-run.ts';

/** Options of {@link PartWriter}. */
export interface PartWriterOptions {
  readonly staging: StagingStore;
  readonly store: PartState;
  /**
   * The upload's drive, by its tenant and name (two tenants may each have a drive of one name);
   * undefined when the tenants file does not have it.
   */
  readonly drive: (tenant: string, name: string) => ResolvedDrive | undefined;
  /** Where PartEvents go (the `intake.parts` producer). */
  readonly events: PartEventSink;
  readonly logger: Logger;
  readonly registry: Registry;
  /** Parts read or uploaded at once in this process; each holds its bytes in memory. @default 8 */
  readonly partConcurrency?: number;
  /** Parts of one upload read or uploaded at once. @default 4 */
  readonly uploadConcurrency?: number;
  /**
   * Bytes of an upload's parts read ahead of its whole-file SHA-256 that may wait in memory for
   * the parts before them; past it the hash is given up and the assembler reads the object back.
   * @default 32 MiB (two parts of the default size)
   */
  readonly hashReorderBytes?: number;
  /**
   * Retries of one part write on retriable failures, before the record's own retry.
   * @default `RETRY_POLICIES.partWrite` in @sluice/retry (3 attempts, 200 ms doubling to 5 s)
   */
  readonly retry?: BackoffOptions;
}

type Loaded =
  | { readonly kind: 'run'; readonly run: UploadRun }
  /** Ingest has no record of the upload: it finished (the assembler dropped it) or expired. */
  | { readonly kind: 'gone' }
  | { readonly kind: 'aborted' }
  | { readonly kind: 'aborting'; readonly reason: string; readonly init: UploadInit | undefined };

/**
 * Consumes `intake.chunks` and turns staged chunks into S3 parts. `handle` runs in key order
 * (one file's events one at a time): it records the event's fact in Redis and in the upload's
 * ledger, starts a write for every part that became ready, and returns at once with a
 * {@link Deferred} that settles when those writes (and the clean-up and announcements after
 * them) are done. So the next event of the same file is handled while parts are in flight, many
 * uploads' parts are in flight together, and a record's offset is committed only once every
 * part it made ready is stored: after a crash, redelivery from the committed offset finds every
 * part that still has to be written.
 */
export class PartWriter {
  readonly #d: PartWriterDeps;
  readonly #runs = new Map<string, UploadRun>();
  readonly #outcomes: UploadOutcomes;
  readonly #tasks: PartTasks;
  readonly #log: Logger;

  constructor(options: PartWriterOptions) {
    this.#log = options.logger.child({ component: 'part-writer' });
    this.#d = {
      staging: options.staging,
      store: options.store,
      drive: options.drive,
      events: options.events,
      metrics: partWriterMetrics(options.registry),
      logger: this.#log,
      parts: new Semaphore(options.partConcurrency ?? 8),
      // As many as parts may be in flight: in steady work every part finds one.
      buffers: new PartBuffers({ keep: options.partConcurrency ?? 8 }),
      uploadConcurrency: options.uploadConcurrency ?? 4,
      hashReorderBytes: options.hashReorderBytes ?? 32 * 1024 * 1024,
      retry: withOverrides(RETRY_POLICIES.partWrite, options.retry),
    };
    this.#outcomes = new UploadOutcomes(this.#d, (run) => this.#evict(run));
    this.#tasks = new PartTasks(this.#d, this.#outcomes);
    if (resumableSha256Missing !== undefined) {
      this.#log.warn(
        { reason: resumableSha256Missing },
        'the whole-file SHA-256 cannot be saved: after a crash or a rebalance, uploads in flight are read back from S3 to hash them',
      );
    }
  }

  /** Uploads whose state this process holds. */
  get activeUploads(): number {
    return this.#runs.size;
  }

  /**
   * Handles one `intake.chunks` event. `signal` is the processor's signal for the partition's
   * current assignment: it aborts when the partition is revoked, which stops the upload's work here.
   */
  async handle(event: ChunkEvent, signal?: AbortSignal): Promise<Deferred | void> {
    const body = event.event;
    if (event.uploadId === '') {
      // No upload can own it: dead-lettered (never dropped), like the assembler does.
      throw new InvalidArgumentError(
        `an intake.chunks event (${event.eventId || 'no event id'}) has no upload id; ` +
          'it cannot belong to any upload: find the producer that wrote it',
      );
    }
    // A kind this version does not know (a newer ingest's): nothing here to do with it.
    if (body === undefined) return;
    const ref = uploadRefOf(event);
    if (body.$case === 'uploadAbortRequested') return this.#abort(ref, body.value.reason);

    const loaded = await this.#load(ref, event, signal);
    const chunk = body.$case === 'chunkUploaded' ? chunkFacts(body.value) : undefined;
    if (loaded.kind === 'aborting') {
      await this.#outcomes.abort(ref, undefined, loaded.init, loaded.reason);
      if (chunk) await this.#outcomes.discardWrite(ref.uploadId, chunk, false);
      return;
    }
    if (loaded.kind !== 'run') {
      // A late chunk of an aborted or finished upload: its bytes have no use.
      if (chunk) await this.#outcomes.discardWrite(ref.uploadId, chunk, false);
      return;
    }
    const { run } = loaded;
    if (run.status === 'failed') {
      if (chunk) await this.#outcomes.discardWrite(ref.uploadId, chunk, true);
      if (!run.failureEmitted && run.failure) await this.#outcomes.fail(run, run.failure);
      return;
    }
    if (run.broken) throw run.broken;
    if (run.status === 'done') return;

    if (chunk) {
      if (!(await this.#addChunk(run, chunk))) return;
    } else if (body.$case === 'uploadSealed') {
      await this.#d.store.saveSealed(ref.uploadId, body.value.totalChunks, hex(body.value.sha256));
      run.ledger.seal(body.value.totalChunks);
      if (run.sealedSha256 === '') run.sealedSha256 = hex(body.value.sha256);
    }

    const work: Promise<void>[] = [];
    for (const partNumber of run.ledger.dirtyParts) {
      if (run.inflight.get(partNumber)?.fingerprint === run.ledger.fingerprintOf(partNumber)) continue;
      const started = this.#tasks.start(run, run.ledger.partWork(partNumber)!);
      if (started) work.push(started);
    }
    if (run.needsSweep) work.push(this.#tasks.catchUpHash(run).then(() => this.#outcomes.sweep(run)));
    if (work.length === 0 && !run.ledger.complete) return;
    return { done: Promise.all(work).then(() => this.#outcomes.finalize(run)) };
  }

  /**
   * Marks the upload failed after one of its records was dead-lettered (it can never be
   * processed), so the upload ends with UploadFailed instead of waiting for ever.
   */
  async deadLettered(event: ChunkEvent, error: SluiceError): Promise<void> {
    if (event.uploadId === '') return;
    const ref = uploadRefOf(event);
    try {
      const loaded = await this.#load(ref, event, undefined);
      if (loaded.kind !== 'run' || loaded.run.failureEmitted) return;
      await this.#outcomes.fail(loaded.run, loaded.run.failure ?? failureOf(error, ref.drive));
    } catch (err) {
      const e = toSluiceError(err);
      if (e.retriable) throw e;
      this.#log.error({ err: e, upload_id: ref.uploadId }, 'could not mark a dead-lettered upload failed');
    }
  }

  /** Waits for every part in flight to end. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#runs.values()].map((run) => run.settle()));
  }

  /** Records the chunk write; false when it made the upload fail. */
  async #addChunk(run: UploadRun, facts: ChunkFacts): Promise<boolean> {
    const change = run.ledger.classify(facts);
    if (change.kind === 'stale') {
      // An older write than the one recorded: its segments were (or are about to be) superseded.
      await this.#outcomes.discardWrite(run.ref.uploadId, facts, false);
      return true;
    }
    if (change.kind === 'duplicate') return true;
    // Redis first: the ledger never holds a chunk a reload would not find.
    if (!(await this.#d.store.saveChunk(run.ref.uploadId, facts))) {
      // Another owner (before a rebalance) recorded a newer write: start over from Redis.
      run.retire();
      throw new InternalError(
        `chunk ${facts.chunk} of upload ${run.ref.uploadId} has a newer write in Redis than this process knew; ` +
          'the upload is reloaded and the event retried',
        { retriable: true },
      );
    }
    if (change.kind === 'replaced') {
      await this.#d.store.addGarbage(run.ref.uploadId, change.previous.prefix, change.previous.segmentCount);
      run.garbage.set(change.previous.prefix, change.previous.segmentCount);
      run.needsSweep = true;
    }
    run.ledger.addChunk(facts);
    if (change.kind !== 'replaced') return true;
    for (const part of run.ledger.partsOfChunk(facts.chunk)) {
      const lost = run.ledger.lostChunks(part);
      if (lost.length === 0) continue;
      await this.#outcomes.fail(run, {
        code: 'CHUNK_REPLACED_TOO_LATE',
        message:
          `chunk ${facts.chunk} was replaced after part ${part}, which holds it, was stored and the bytes of ` +
          `chunk(s) ${lost.join(', ')} beside it were released, so the part cannot be written again: a chunk can ` +
          'be replaced only until the parts holding it are stored; upload the file again',
        s3Code: '',
      });
      return false;
    }
    return true;
  }

  async #abort(ref: UploadRef, reason: string): Promise<void> {
    const run = this.#runs.get(ref.uploadId);
    let target: Pick<UploadInit, 'bucket' | 'key'> | undefined = run?.init;
    if (!target) {
      const state = await this.#d.store.load(ref.uploadId);
      target = state?.init;
      if (!state) {
        const meta = await this.#d.staging.getUpload(ref.uploadId);
        if (!meta) return;
        target = meta.destination;
      }
    }
    await this.#outcomes.abort(ref, run, target, reason);
  }

  async #load(ref: UploadRef, event: ChunkEvent, epoch: AbortSignal | undefined): Promise<Loaded> {
    const { uploadId } = ref;
    const cached = this.#runs.get(uploadId);
    if (cached && (epoch === undefined || (cached.epoch === epoch && !cached.signal.aborted))) {
      return { kind: 'run', run: cached };
    }
    if (cached) {
      // Its parts in flight end first, so a part number is never written by two runs at once.
      this.#evict(cached);
      cached.retire();
      await cached.settle();
    }
    const state = await this.#d.store.load(uploadId);
    if (state?.aborting !== undefined) return { kind: 'aborting', reason: state.aborting, init: state.init };
    let init = state?.init;
    let meta: UploadMeta | undefined;
    if (!state) {
      // Nothing of ours yet: ingest's record says whether the upload is still going.
      meta = await this.#d.staging.getUpload(uploadId);
      if (!meta) return { kind: 'gone' };
      if (meta.status === 'aborted') return { kind: 'aborted' };
    }
    if (!init) {
      const body = event.event;
      if (body?.$case === 'uploadInitiated')
        init = initFromEvent(ref, body.value, this.#d.drive(ref.tenant, ref.drive));
      else {
        meta ??= await this.#d.staging.getUpload(uploadId);
        if (!meta) return { kind: 'gone' };
        init = initFromMeta(meta);
      }
      await this.#d.store.saveInit(uploadId, init);
    }
    const run = new UploadRun({
      ref,
      init,
      objects: this.#d.drive(ref.tenant, ref.drive)?.objects,
      log: forUpload(this.#log, { upload_id: uploadId, node_id: ref.nodeId }),
      epoch,
      uploadConcurrency: this.#d.uploadConcurrency,
      hashReorderBytes: this.#d.hashReorderBytes,
      state,
    });
    if (run.storedAtLoad.length > 0 && run.hash.lost === undefined) this.#d.metrics.hashesResumed.inc();
    if (epoch !== undefined) {
      this.#runs.set(uploadId, run);
      this.#d.metrics.uploadsActive.set(this.#runs.size);
      epoch.addEventListener('abort', () => this.#evict(run), { once: true });
    }
    return { kind: 'run', run };
  }

  #evict(run: UploadRun): void {
    if (this.#runs.get(run.ref.uploadId) === run) this.#runs.delete(run.ref.uploadId);
    this.#d.metrics.uploadsActive.set(this.#runs.size);
  }
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** A ChunkUploaded event as the ledger takes it. */
export function chunkFacts(value: ChunkEvent_ChunkUploaded): ChunkFacts {
  return {
    chunk: value.chunkNumber,
    size: Number(value.size),
    crc64nvme: value.crc64nvme,
    crc32c: value.crc32c,
    crc32: value.crc32,
    prefix: value.segmentKeyPrefix,
    segmentCount: value.segmentCount,
    segmentSize: value.segmentSize,
    generation: value.generation,
  };
}

/** The upload's destination from UploadInitiated; what it leaves unspecified comes from the drive. */
export function initFromEvent(
  ref: UploadRef,
  value: ChunkEvent_UploadInitiated,
  drive: ResolvedDrive | undefined,
): UploadInit {
  const d = value.destination;
  const partSize = Number(d?.partSizePolicy?.partSize ?? 0n);
  return {
    tenant: ref.tenant,
    drive: ref.drive,
    nodeId: ref.nodeId,
    bucket: d?.bucket ?? '',
    key: d?.key ?? '',
    checksumMode: checksumModeFromWire(d?.checksumMode ?? 0) ?? drive?.checksumMode ?? 'crc64nvme',
    policy: {
      kind: partSizeKindFromWire(d?.partSizePolicy?.kind ?? 0) ?? drive?.partSizePolicy.kind ?? 'fixed',
      partSize: partSize > 0 ? partSize : (drive?.partSizePolicy.partSize ?? DEFAULT_PART_SIZE),
    },
    fixedChunkSize: Number(value.fixedChunkSize),
    filename: value.filename,
    mimeType: value.mimeType,
    metadata: { ...value.metadata },
  };
}

/** The upload's destination from ingest's record, for when UploadInitiated was not seen. */
export function initFromMeta(meta: UploadMeta): UploadInit {
  const d = meta.destination;
  return {
    tenant: meta.tenant,
    drive: meta.drive,
    nodeId: meta.nodeId,
    bucket: d.bucket,
    key: d.key,
    checksumMode: d.checksumMode,
    policy: { kind: d.partSizePolicy.kind, partSize: d.partSizePolicy.partSize },
    fixedChunkSize: meta.fixedChunkSize,
    filename: meta.filename,
    mimeType: meta.mimeType,
    metadata: { ...meta.metadata },
  };
}

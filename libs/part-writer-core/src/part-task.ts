import { performance } from 'node:perf_hooks';
import { Crc32, Crc32c, Crc64Nvme } from '@sluice/checksums';
import { NotFoundError, toSluiceError, type SluiceError } from '@sluice/errors';
import { backoffDelay, pause } from '@sluice/retry';
import type { ObjectBody } from '@sluice/storage';
import { inSpan } from '@sluice/telemetry';
import type { PartWriterDeps } from './deps.ts';
import { partStored } from './part-events.ts';
import { combineCrcs, type CrcRun, type PartWork, type StoredPart } from '@sluice/part-ledger';
import { failureOf, type UploadOutcomes } from './upload-outcomes.ts';
import type { UploadRun } from './upload-run.ts';

/**
 * Writing one part, start to end:
 *   1. wait for a slot of the upload, then one of the process (the part's bytes are in memory
 *      only while a process slot is held);
 *   2. read the part's byte range across its chunks' segments (GETRANGE/GET), and hand the bytes
 *      to the upload's whole-file SHA-256, which takes them in offset order;
 *   3. UploadPart (creating the multipart upload first if there is none) or, for a file that fits
 *      one part, PutObject; either carries the part's CRC, combined from the chunk CRCs and
 *      computed only for chunks the part holds a piece of;
 *   4. emit PartStored and wait until it is durable;
 *   5. record the part in Redis, and the whole-file hash's checkpoint once it has every part up
 *      to there, then delete and release the chunks no part (and no reload of the hash) needs;
 *   6. emit AllPartsStored if that was the last part.
 * A crash before 5 redoes the part: same number, same byte range, so S3 overwrites it, and
 * PartStored repeats with the same id. Retriable failures are retried here with backoff and
 * jitter and then handed to the record's retry; permanent ones fail the upload.
 */
export class PartTasks {
  readonly #d: PartWriterDeps;
  readonly #outcomes: UploadOutcomes;

  constructor(deps: PartWriterDeps, outcomes: UploadOutcomes) {
    this.#d = deps;
    this.#outcomes = outcomes;
  }

  /**
   * Writes the part unless a write of it from the same chunk writes is already in flight. A write
   * from older chunk writes (before a forced replacement) finishes first, so S3 ends with the
   * newest bytes. Returns undefined when nothing was started.
   */
  start(run: UploadRun, work: PartWork): Promise<void> | undefined {
    const previous = run.inflight.get(work.partNumber);
    if (previous?.fingerprint === work.fingerprint) return undefined;
    const promise = run.track(
      (async () => {
        await previous?.promise.catch(() => undefined);
        await this.#run(run, work);
      })(),
    );
    const entry = { fingerprint: work.fingerprint, promise };
    run.inflight.set(work.partNumber, entry);
    const forget = (): void => {
      if (run.inflight.get(work.partNumber) === entry) run.inflight.delete(work.partNumber);
    };
    promise.then(forget, forget);
    return promise;
  }

  async #run(run: UploadRun, work: PartWork): Promise<void> {
    try {
      const stored = await this.#withSlots(run, () => this.#attempts(run, work));
      // A run that lost its partition leaves the clean-up to the new owner, which may still need the bytes.
      if (!stored || run.stopped) return;
      await this.#outcomes.release(run, run.partsToRelease(work.partNumber));
      await this.#outcomes.finalize(run);
    } catch (err) {
      const e = toSluiceError(err);
      if (run.stopped) return;
      if (e.retriable) throw e;
      await this.#outcomes.fail(run, failureOf(e, run.ref.drive));
    }
  }

  async #withSlots<T>(run: UploadRun, work: () => Promise<T>): Promise<T> {
    await run.semaphore.acquire();
    try {
      await this.#d.parts.acquire();
      this.#d.metrics.partsInFlight.inc();
      try {
        return await work();
      } finally {
        this.#d.metrics.partsInFlight.dec();
        this.#d.parts.release();
      }
    } finally {
      run.semaphore.release();
    }
  }

  /** True once the part is stored and recorded; false when there was nothing (more) to do. */
  async #attempts(run: UploadRun, work: PartWork): Promise<boolean> {
    const { attempts } = this.#d.retry;
    for (let attempt = 1; ; attempt++) {
      if (!this.#wanted(run, work)) return false;
      try {
        await this.#store(run, work);
        return true;
      } catch (err) {
        const e = toSluiceError(err);
        if (!this.#wanted(run, work)) return false;
        // Bytes gone because another owner (before a rebalance) stored the part are no loss.
        if (e.code === 'STAGING_LOST' && (await this.#storedElsewhere(run, work))) return false;
        if (e.code === 'STAGING_LOST' || !e.retriable || attempt >= attempts) throw e;
        this.#d.metrics.partRetries.inc({ code: e.code });
        run.log.warn({ err: e, part: work.partNumber, attempt }, 'writing a part failed; retrying');
        await pause(backoffDelay(attempt, this.#d.retry), run.signal).catch(() => undefined);
      }
    }
  }

  /** Whether Redis holds the part as stored from the same chunk writes; if so, the ledger learns it. */
  async #storedElsewhere(run: UploadRun, work: PartWork): Promise<boolean> {
    const state = await this.#d.store.load(run.ref.uploadId);
    const part = state?.parts.find((p) => p.partNumber === work.partNumber);
    if (part?.fingerprint !== work.fingerprint) return false;
    run.ledger.markStored(part);
    for (const [chunk, prefix] of state?.deleted ?? []) run.ledger.markDeleted(chunk, prefix);
    return true;
  }

  /** Still to do: the run goes on, and the part is dirty and cut from the same chunk writes. */
  #wanted(run: UploadRun, work: PartWork): boolean {
    return (
      !run.stopped &&
      run.ledger.isDirty(work.partNumber) &&
      run.ledger.fingerprintOf(work.partNumber) === work.fingerprint
    );
  }

  /** Stores one part, in a span of its own within the trace of the chunk event that made it ready. */
  #store(run: UploadRun, work: PartWork): Promise<void> {
    return inSpan(
      work.upload === 'single' ? 'store object' : `store part ${work.partNumber}`,
      {
        attributes: {
          'sluice.upload_id': run.ref.uploadId,
          'sluice.part_number': work.partNumber,
          'sluice.part_bytes': work.end - work.start,
        },
      },
      () => this.#storeInSpan(run, work),
    );
  }

  async #storeInSpan(run: UploadRun, work: PartWork): Promise<void> {
    const { init, ref, ledger } = run;
    const { objects } = run;
    if (!objects) throw missingDrive(ref.drive);
    const kind = work.upload === 'single' ? 'single' : 'part';
    const buffer = this.#d.buffers.take(work.end - work.start);
    let sending = false;
    const sent = await (async () => {
      const readStarted = performance.now();
      const body = await inSpan(
        'read staged bytes',
        { attributes: { 'sluice.part_bytes': buffer.bytes.length } },
        () => this.#read(run, work, buffer.bytes),
      );
      this.#d.metrics.readSeconds.observe((performance.now() - readStarted) / 1000);
      // Hashed as read, before S3 has it: a part ahead of the hash waits there, not in Redis.
      run.hash.offer(work, body.pieces, buffer);
      const started = performance.now();
      sending = true;
      let stored: { etag: string; versionId: string; multipartUploadId: string };
      if (work.upload === 'single') {
        const put = await objects.putObject(init, body, { contentType: init.mimeType }, run.signal);
        stored = { ...put, multipartUploadId: '' };
      } else {
        const multipartUploadId = await this.#multipart(run);
        const etag = await objects.uploadPart(init, multipartUploadId, work.partNumber, body, run.signal);
        stored = { etag, versionId: '', multipartUploadId };
      }
      sending = false;
      this.#d.metrics.uploadSeconds.observe({ kind }, (performance.now() - started) / 1000);
      return { ...stored, crcs: body.crcs };
    })().finally(() => {
      // S3 answered, so it has every byte; a request that failed may still be writing them.
      if (sending) buffer.spoil();
      buffer.release();
    });
    const { etag, versionId, multipartUploadId, crcs } = sent;
    const part: StoredPart = {
      partNumber: work.partNumber,
      start: work.start,
      end: work.end,
      etag,
      versionId,
      single: work.upload === 'single',
      ...crcs,
      firstChunk: work.firstChunk,
      lastChunk: work.lastChunk,
      fingerprint: work.fingerprint,
    };
    await this.#d.events.produce(partStored(ref, init, multipartUploadId, part));
    await this.#d.store.savePart(ref.uploadId, part);
    ledger.markStored(part);
    await this.saveHash(run);
    this.#d.metrics.partsStored.inc({ kind });
    this.#d.metrics.bytesStored.inc(work.end - work.start);
    run.log.debug({ part: work.partNumber, start: work.start, end: work.end, etag }, 'part stored');
  }

  /**
   * Saves the whole-file hash's newest checkpoint whose parts are all stored, if it is past the
   * one saved: from then on a reload resumes the hash there, and their bytes may go.
   */
  async saveHash(run: UploadRun): Promise<void> {
    const checkpoint = run.hash.checkpoint((n) => run.ledger.stored(n)?.fingerprint);
    if (checkpoint === undefined) return;
    await this.#d.store.saveHashCheckpoint(run.ref.uploadId, checkpoint);
    run.hash.saved(checkpoint);
  }

  /**
   * After a load: hashes again the parts stored past the hash's checkpoint (their bytes stayed in
   * Redis for this), in order, so the hash goes on where the process before left it. A part whose
   * bytes are gone (stored by a process that kept no checkpoint) gives the hash up.
   */
  catchUpHash(run: UploadRun): Promise<void> {
    if (!run.needsCatchUp) return Promise.resolve();
    run.catchingUp ??= this.#catchUp(run).finally(() => (run.catchingUp = undefined));
    return run.catchingUp;
  }

  async #catchUp(run: UploadRun): Promise<void> {
    for (const partNumber of run.storedAtLoad) {
      if (run.hash.lost !== undefined || run.stopped) return;
      const work = run.ledger.partWork(partNumber);
      // A part written again from newer chunks is hashed when its write reads them.
      if (work === undefined || run.ledger.isDirty(partNumber) || run.hash.has(partNumber)) continue;
      if (run.ledger.lostChunks(partNumber).length > 0) {
        run.hash.giveUp('reloaded');
        break;
      }
      await this.#withSlots(run, async () => {
        const buffer = this.#d.buffers.take(work.end - work.start);
        try {
          const body = await this.#read(run, work, buffer.bytes);
          run.hash.offer(work, body.pieces, buffer);
        } catch (err) {
          if (toSluiceError(err).code !== 'STAGING_LOST') throw err;
          run.hash.giveUp('reloaded');
        } finally {
          buffer.release();
        }
      });
    }
    if (run.stopped) return;
    run.needsCatchUp = false;
    await this.saveHash(run);
  }

  /** The part's bytes, read from Redis into `into`, and its CRCs. */
  async #read(run: UploadRun, work: PartWork, into: Buffer): Promise<ObjectBody> {
    const mode = run.ledger.checksumMode;
    let at = 0;
    const pieces = work.pieces.map((p) => {
      const bytes = into.subarray(at, at + p.length);
      at += p.length;
      return bytes;
    });
    // Every read settled before any failure is thrown: the buffer may go to another part after that.
    const reads = await Promise.allSettled(
      work.pieces.map((p, i) =>
        this.#d.staging.readRangeInto(
          { prefix: p.chunk.prefix, segmentSize: p.chunk.segmentSize, segmentCount: p.chunk.segmentCount },
          p.offsetInChunk,
          pieces[i]!,
        ),
      ),
    );
    for (const read of reads) if (read.status === 'rejected') throw read.reason;
    const runs: CrcRun[] = work.pieces.map((p, i) => {
      if (p.offsetInChunk === 0 && p.length === p.chunk.size) return { ...p.chunk, length: p.length };
      // Only part of the chunk is in this part: its CRC comes from the bytes themselves.
      const bytes = pieces[i]!;
      return {
        crc64nvme: new Crc64Nvme().update(bytes).digest(),
        crc32c: mode === 'crc32c' ? new Crc32c().update(bytes).digest() : 0,
        crc32: mode === 'crc32' ? new Crc32().update(bytes).digest() : 0,
        length: p.length,
      };
    });
    return { pieces: [into], length: work.end - work.start, crcs: combineCrcs(runs, mode) };
  }

  /**
   * The upload's multipart upload, created on first need. Two owners racing (a rebalance) may
   * both create one: Redis keeps the first id stored and the other owner aborts its own.
   */
  #multipart(run: UploadRun): Promise<string> {
    if (run.multipartUploadId) return Promise.resolve(run.multipartUploadId);
    run.creatingMultipart ??= (async () => {
      const objects = run.objects!;
      // Not cancelled with the run: an upload created but not recorded would be left behind.
      const mine = await objects.createMultipartUpload(run.init, { contentType: run.init.mimeType });
      const winner = await this.#d.store.claimMultipart(run.ref.uploadId, mine);
      if (winner !== mine) {
        run.log.info({ multipart_upload_id: winner }, 'another owner created the multipart upload first');
        await objects
          .abortMultipartUpload({ bucket: run.init.bucket, key: run.init.key, uploadId: mine })
          .catch((err: unknown) =>
            run.log.warn({ err, multipart_upload_id: mine }, 'aborting a duplicate multipart upload failed'),
          );
      }
      run.multipartUploadId = winner;
      return winner;
    })().finally(() => (run.creatingMultipart = undefined));
    return run.creatingMultipart;
  }
}

function missingDrive(drive: string): SluiceError {
  return new NotFoundError(
    'DRIVE_NOT_FOUND',
    `drive "${drive}" of this upload is not in the part-writer's tenants file: add it back and upload the file again`,
  );
}

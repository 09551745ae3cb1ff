import { type SluiceError } from '@sluice/errors';
import type { PartWriterDeps } from './deps.ts';
import type { UploadRef } from '@sluice/proto';
import { allPartsStored, uploadAborted, uploadFailed } from './part-events.ts';
import type { FailureFacts, UploadInit } from './part-state.ts';
import type { UploadRun } from './upload-run.ts';

/** A chunk write whose segments may be deleted. */
interface StagedWrite {
  readonly chunk: number;
  readonly prefix: string;
  readonly segmentCount: number;
  readonly size: number;
}

/**
 * How an upload's work ends, each step safe to repeat after a crash: bytes no part needs any
 * more are deleted and released, and the upload ends with AllPartsStored, UploadFailed or
 * UploadAborted. Each outcome is recorded in Redis only after its event is durable, so a crash
 * in between repeats the event (with the same id), never skips it.
 */
export class UploadOutcomes {
  readonly #d: PartWriterDeps;
  readonly #evict: (run: UploadRun) => void;

  constructor(deps: PartWriterDeps, evict: (run: UploadRun) => void) {
    this.#d = deps;
    this.#evict = evict;
  }

  /**
   * Deletes the segments of chunks whose parts are all stored (of `parts`, or all) and releases
   * them; bytes of parts past the hash's saved checkpoint stay, for a reload to hash again.
   */
  async release(run: UploadRun, parts?: readonly number[]): Promise<void> {
    const through = run.hash.releasableThrough;
    try {
      for (const facts of run.ledger.releasable(parts)) {
        if (through !== Infinity && run.ledger.partsOfChunk(facts.chunk).some((p) => p > through)) continue;
        await this.#releaseWrite(run.ref.uploadId, facts);
        run.ledger.markDeleted(facts.chunk, facts.prefix);
      }
    } catch (err) {
      run.needsSweep = true;
      throw err;
    }
  }

  /** The clean-up a run owes after a load: superseded writes, and chunks whose parts were stored. */
  async sweep(run: UploadRun): Promise<void> {
    run.needsSweep = false;
    try {
      for (const [prefix, segmentCount] of [...run.garbage]) {
        await this.#d.staging.deleteSegments({ prefix, segmentCount });
        await this.#d.store.removeGarbage(run.ref.uploadId, prefix);
        run.garbage.delete(prefix);
      }
    } catch (err) {
      run.needsSweep = true;
      throw err;
    }
    await this.release(run);
  }

  /** Emits AllPartsStored once the upload is sealed and every part is stored from the current chunks. */
  async finalize(run: UploadRun): Promise<void> {
    if (run.status !== 'active' || run.stopped || !run.ledger.complete) return;
    if (run.needsCatchUp) {
      // Parts stored before a reload are hashed again first, or the digest would be short.
      // A catch-up that failed is tried again with the record, which then finalizes.
      await run.catchingUp?.catch(() => undefined);
      if (run.needsCatchUp || run.status !== 'active' || run.stopped) return;
    }
    run.finalizing ??= this.#finalize(run).finally(() => (run.finalizing = undefined));
    return run.finalizing;
  }

  async #finalize(run: UploadRun): Promise<void> {
    const { ledger, ref, init } = run;
    const meta = await this.#d.staging.getUpload(ref.uploadId);
    const single = ledger.plan === 'single' ? ledger.stored(1) : undefined;
    const contentSha256 = await this.#contentSha256(run);
    await this.#d.events.produce(
      allPartsStored(ref, init, {
        multipartUploadId: single ? '' : (run.multipartUploadId ?? ''),
        partCount: ledger.partCount!,
        totalSize: ledger.totalSize!,
        totalChunks: ledger.totalChunks!,
        crcs: ledger.wholeCrcs(),
        sha256: run.sealedSha256,
        contentSha256: contentSha256 ?? '',
        etag: single?.etag ?? '',
        versionId: single?.versionId ?? '',
        firstChunkAt: meta?.firstChunkAt ?? 0,
      }),
    );
    await this.#d.store.markDone(ref.uploadId);
    run.status = 'done';
    this.#d.metrics.uploads.inc({ outcome: 'all_parts_stored' });
    run.log.info({ parts: ledger.partCount, bytes: ledger.totalSize }, 'all parts stored');
    this.#evict(run);
  }

  /**
   * The whole-file SHA-256 to announce, stored in Redis first so that a repeat of AllPartsStored
   * (a crash before `done`) says the same; undefined when the running hash was given up.
   */
  async #contentSha256(run: UploadRun): Promise<string | undefined> {
    if (run.contentSha256 !== undefined) return run.contentSha256;
    const digest = run.hash.digest(run.ledger.totalSize!);
    if (!digest) {
      const reason = run.hash.lost ?? 'incomplete';
      this.#d.metrics.hashesGivenUp.inc({ reason });
      run.log.info(
        { reason, hashed: run.hash.offset },
        'no whole-file SHA-256: the assembler reads the object back',
      );
      return undefined;
    }
    await this.#d.store.saveContentSha256(run.ref.uploadId, digest.toString('hex'));
    run.contentSha256 = digest.toString('hex');
    return run.contentSha256;
  }

  /**
   * Fails the upload for good: stops its work, aborts the multipart upload, deletes and releases
   * its staged bytes, and emits UploadFailed. The first failure recorded is the one reported.
   */
  fail(run: UploadRun, failure: FailureFacts): Promise<void> {
    if (run.failing) return run.failing;
    if (run.status !== 'failed') run.stop('failed');
    run.failing = this.#fail(run, failure).catch((err: unknown) => {
      run.failing = undefined;
      throw err;
    });
    return run.failing;
  }

  async #fail(run: UploadRun, proposed: FailureFacts): Promise<void> {
    const { ref, init } = run;
    const failure = await this.#d.store.markFailed(ref.uploadId, proposed);
    run.failure = failure;
    await run.creatingMultipart?.catch(() => undefined);
    const mpu = run.multipartUploadId ?? (await this.#d.store.load(ref.uploadId))?.multipartUploadId;
    if (mpu && run.objects)
      await run.objects.abortMultipartUpload({ bucket: init.bucket, key: init.key, uploadId: mpu });
    await this.#releaseAll(run.ref.uploadId, run);
    if (!run.failureEmitted) {
      await this.#d.events.produce(uploadFailed(ref, failure));
      await this.#d.store.markFailedEmitted(ref.uploadId);
      run.failureEmitted = true;
      this.#d.metrics.uploads.inc({ outcome: 'failed' });
      run.log.warn({ code: failure.code, s3Code: failure.s3Code, reason: failure.message }, 'upload failed');
    }
    this.#evict(run);
  }

  /**
   * Aborts the upload on the client's request: stops its work and waits for it, aborts the
   * multipart upload, deletes the staged bytes, emits UploadAborted, then drops the state (ingest's
   * record stays, marked aborted, so later chunks are refused and late events are ignored).
   */
  async abort(
    ref: UploadRef,
    run: UploadRun | undefined,
    target: Pick<UploadInit, 'bucket' | 'key'> | undefined,
    reason: string,
  ): Promise<void> {
    const { uploadId } = ref;
    if (run) {
      if (run.status !== 'aborted') run.stop('aborted');
      await run.settle();
    }
    await this.#d.store.markAborting(uploadId, reason);
    const state = await this.#d.store.load(uploadId);
    const mpu = state?.multipartUploadId ?? run?.multipartUploadId;
    const objects = run?.objects ?? this.#d.drive(ref.tenant, ref.drive)?.objects;
    const where = state?.init ?? target;
    if (mpu && objects && where)
      await objects.abortMultipartUpload({ bucket: where.bucket, key: where.key, uploadId: mpu });
    await this.#releaseAll(uploadId, run);
    await this.#d.events.produce(uploadAborted(ref, reason));
    await this.#d.store.delete(uploadId);
    if (run) this.#evict(run);
    this.#d.metrics.uploads.inc({ outcome: 'aborted' });
    this.#d.logger.info({ upload_id: uploadId, node_id: ref.nodeId, reason }, 'upload aborted');
  }

  /** Deletes one chunk write's segments, outside any run (late chunks of a stopped upload). */
  async discardWrite(uploadId: string, write: StagedWrite, release: boolean): Promise<void> {
    if (release) await this.#releaseWrite(uploadId, write);
    else await this.#d.staging.deleteSegments(write);
  }

  /** Every staged write the upload may still have: ours, ingest's records, superseded ones. */
  async #releaseAll(uploadId: string, run: UploadRun | undefined): Promise<void> {
    const writes = new Map<string, StagedWrite>();
    for (const c of run?.storedChunks ?? []) writes.set(c.prefix, c);
    for (const c of run?.ledger.chunks ?? []) writes.set(c.prefix, c);
    for (const r of await this.#d.staging.listChunks(uploadId)) {
      const segments = this.#d.staging.segmentsOf(uploadId, r);
      writes.set(segments.prefix, {
        chunk: r.chunk,
        prefix: segments.prefix,
        segmentCount: r.segmentCount,
        size: r.size,
      });
    }
    const state = await this.#d.store.load(uploadId);
    for (const [prefix, segmentCount] of [...(state?.garbage ?? []), ...(run?.garbage ?? [])]) {
      await this.#d.staging.deleteSegments({ prefix, segmentCount });
    }
    for (const write of writes.values()) await this.#releaseWrite(uploadId, write);
  }

  async #releaseWrite(uploadId: string, write: StagedWrite): Promise<void> {
    // Ingest's count first, then the bytes, then our note of it: whoever sees the segments gone
    // sees them counted out, and a crash anywhere repeats what is left (staging counts a chunk
    // out once however often it is asked). An upload whose state is gone has nothing to count.
    if (await this.#d.store.exists(uploadId)) {
      const released = await this.#d.staging.releaseChunk(uploadId, write.chunk, write.size);
      if (released > 0) this.#d.metrics.bytesReleased.inc(released);
    }
    await this.#d.staging.deleteSegments(write);
    await this.#d.store.markDeleted(uploadId, write);
  }
}

/** UploadFailed's facts from an error: the code, the message, and the store's own code if any. */
export function failureOf(error: SluiceError, drive?: string): FailureFacts {
  const s3Code = error.details['s3Code'];
  const advice =
    error.code === 'STORAGE_REJECTED' && drive
      ? `; check the bucket, credentials and permissions of drive "${drive}", then upload the file again`
      : '';
  return {
    code: error.code,
    message: `${error.message}${advice}`,
    s3Code: typeof s3Code === 'string' ? s3Code : '',
  };
}

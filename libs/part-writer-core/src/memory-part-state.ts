/**
 * The part-writer's state in memory, for unit tests of the part-writer on in-memory stores. It
 * follows `PartStateStore`'s rules (`test/part-state.suite.ts` runs against both) without a TTL.
 */
import type { ChunkFacts, StoredPart } from '@sluice/part-ledger';
import type { MultipartRef } from '@sluice/storage';
import type { FailureFacts, PartState, StoredUploadState, UploadInit } from './part-state.ts';
import type { HashCheckpoint } from './whole-file-hash.ts';

interface Entry {
  init: UploadInit | undefined;
  readonly chunks: Map<number, ChunkFacts>;
  sealed: { readonly totalChunks: number; readonly sha256: string } | undefined;
  contentSha256: string | undefined;
  hashCheckpoint: HashCheckpoint | undefined;
  multipartUploadId: string | undefined;
  readonly parts: Map<number, StoredPart>;
  readonly deleted: Map<number, string>;
  readonly garbage: Map<string, number>;
  done: boolean;
  failed: FailureFacts | undefined;
  failedEmitted: boolean;
  aborting: string | undefined;
}

export class MemoryPartState implements PartState {
  readonly #uploads = new Map<string, Entry>();

  /** The upload's entry, made on first write as a Redis hash is. */
  #entry(uploadId: string): Entry {
    let entry = this.#uploads.get(uploadId);
    if (!entry) {
      entry = {
        init: undefined,
        chunks: new Map(),
        sealed: undefined,
        contentSha256: undefined,
        hashCheckpoint: undefined,
        multipartUploadId: undefined,
        parts: new Map(),
        deleted: new Map(),
        garbage: new Map(),
        done: false,
        failed: undefined,
        failedEmitted: false,
        aborting: undefined,
      };
      this.#uploads.set(uploadId, entry);
    }
    return entry;
  }

  load(uploadId: string): Promise<StoredUploadState | undefined> {
    const e = this.#uploads.get(uploadId);
    if (!e) return Promise.resolve(undefined);
    return Promise.resolve({
      init: e.init,
      chunks: [...e.chunks.values()].sort((a, b) => a.chunk - b.chunk),
      sealed: e.sealed,
      contentSha256: e.contentSha256,
      hashCheckpoint: e.hashCheckpoint && { ...e.hashCheckpoint, state: Buffer.from(e.hashCheckpoint.state) },
      multipartUploadId: e.multipartUploadId,
      parts: [...e.parts.values()],
      deleted: new Map(e.deleted),
      garbage: new Map(e.garbage),
      done: e.done,
      failed: e.failed,
      failedEmitted: e.failedEmitted,
      aborting: e.aborting,
    });
  }

  exists(uploadId: string): Promise<boolean> {
    return Promise.resolve(this.#uploads.has(uploadId));
  }

  saveInit(uploadId: string, init: UploadInit): Promise<void> {
    const e = this.#entry(uploadId);
    e.init ??= init;
    return Promise.resolve();
  }

  saveChunk(uploadId: string, facts: ChunkFacts): Promise<boolean> {
    const e = this.#entry(uploadId);
    const current = e.chunks.get(facts.chunk);
    if (current) {
      if (current.generation > facts.generation) return Promise.resolve(false);
      if (current.generation === facts.generation) return Promise.resolve(current.prefix === facts.prefix);
    }
    e.chunks.set(facts.chunk, facts);
    return Promise.resolve(true);
  }

  saveSealed(uploadId: string, totalChunks: number, sha256: string): Promise<void> {
    const e = this.#entry(uploadId);
    e.sealed ??= { totalChunks, sha256 };
    return Promise.resolve();
  }

  saveContentSha256(uploadId: string, sha256: string): Promise<void> {
    const e = this.#entry(uploadId);
    e.contentSha256 ??= sha256;
    return Promise.resolve();
  }

  saveHashCheckpoint(uploadId: string, checkpoint: HashCheckpoint): Promise<void> {
    const e = this.#entry(uploadId);
    if (checkpoint.part > (e.hashCheckpoint?.part ?? 0))
      e.hashCheckpoint = { ...checkpoint, state: Buffer.from(checkpoint.state) };
    return Promise.resolve();
  }

  claimMultipart(uploadId: string, multipartUploadId: string): Promise<string> {
    const e = this.#entry(uploadId);
    e.multipartUploadId ??= multipartUploadId;
    return Promise.resolve(e.multipartUploadId);
  }

  multipart(uploadId: string): Promise<MultipartRef | undefined> {
    const e = this.#uploads.get(uploadId);
    return Promise.resolve(
      e?.multipartUploadId && e.init?.bucket && e.init.key
        ? { bucket: e.init.bucket, key: e.init.key, uploadId: e.multipartUploadId }
        : undefined,
    );
  }

  savePart(uploadId: string, part: StoredPart): Promise<void> {
    this.#entry(uploadId).parts.set(part.partNumber, part);
    return Promise.resolve();
  }

  addGarbage(uploadId: string, prefix: string, segmentCount: number): Promise<void> {
    this.#entry(uploadId).garbage.set(prefix, segmentCount);
    return Promise.resolve();
  }

  removeGarbage(uploadId: string, prefix: string): Promise<void> {
    this.#uploads.get(uploadId)?.garbage.delete(prefix);
    return Promise.resolve();
  }

  markDeleted(uploadId: string, facts: Pick<ChunkFacts, 'chunk' | 'prefix'>): Promise<boolean> {
    const e = this.#uploads.get(uploadId);
    e?.deleted.set(facts.chunk, facts.prefix);
    return Promise.resolve(e !== undefined);
  }

  markDone(uploadId: string): Promise<void> {
    this.#entry(uploadId).done = true;
    return Promise.resolve();
  }

  markFailed(uploadId: string, failure: FailureFacts): Promise<FailureFacts> {
    const e = this.#entry(uploadId);
    e.failed ??= failure;
    return Promise.resolve(e.failed);
  }

  markFailedEmitted(uploadId: string): Promise<void> {
    this.#entry(uploadId).failedEmitted = true;
    return Promise.resolve();
  }

  markAborting(uploadId: string, reason: string): Promise<void> {
    this.#entry(uploadId).aborting = reason;
    return Promise.resolve();
  }

  delete(uploadId: string): Promise<void> {
    this.#uploads.delete(uploadId);
    return Promise.resolve();
  }
}

/**
 * The assembler's state in memory, for unit tests of the assembler on in-memory stores. It
 * follows `AssemblyStore`'s rules (`test/assembler-state.suite.ts` runs against both), reading
 * an upload's last activity from the staging store as the Redis claim script reads ingest's
 * record, and keeps outcomes as `AssemblyStore` does: serialized, so what comes back is what a
 * restart would read. It has no TTL.
 */
import type { StagingStore } from '@sluice/staging';
import type { MultipartRef } from '@sluice/storage';
import type {
  AssemblerState,
  AssemblyState,
  ClaimResult,
  PartWriterState,
  Phase,
  RecordedPart,
  StoredOutcome,
} from './assembler-state.ts';
import { parseOutcome, serializeOutcome, type OutcomeRecord } from './outcomes.ts';

/** Options of {@link MemoryAssemblerState}. */
export interface MemoryAssemblerStateOptions {
  /** Ingest's records, for an upload's last activity when it is claimed for expiring. */
  readonly staging: Pick<StagingStore, 'getUpload'>;
  /** The part-writer's state of each upload. */
  readonly partWriter: PartWriterState;
}

interface Entry {
  readonly parts: Map<number, RecordedPart>;
  multipart: MultipartRef | undefined;
  lastPartAt: number;
  phase: Phase | undefined;
  phaseAt: number;
}

export class MemoryAssemblerState implements AssemblerState {
  readonly #o: MemoryAssemblerStateOptions;
  readonly #uploads = new Map<string, Entry>();
  readonly #outcomes = new Map<string, { record: string; published: boolean }>();

  constructor(options: MemoryAssemblerStateOptions) {
    this.#o = options;
  }

  #entry(uploadId: string): Entry {
    let entry = this.#uploads.get(uploadId);
    if (!entry) {
      entry = { parts: new Map(), multipart: undefined, lastPartAt: 0, phase: undefined, phaseAt: 0 };
      this.#uploads.set(uploadId, entry);
    }
    return entry;
  }

  recordPart(uploadId: string, part: RecordedPart, now = Date.now()): Promise<boolean> {
    if (this.#outcomes.has(uploadId)) return Promise.resolve(false);
    const entry = this.#entry(uploadId);
    entry.parts.set(part.partNumber, part);
    entry.lastPartAt = now;
    if (part.multipartUploadId)
      entry.multipart = { bucket: part.bucket, key: part.key, uploadId: part.multipartUploadId };
    return Promise.resolve(true);
  }

  parts(uploadId: string): Promise<RecordedPart[]> {
    const parts = [...(this.#uploads.get(uploadId)?.parts.values() ?? [])];
    return Promise.resolve(parts.sort((a, b) => a.partNumber - b.partNumber));
  }

  async state(uploadId: string): Promise<AssemblyState> {
    const entry = this.#uploads.get(uploadId);
    return {
      multipart: entry?.multipart,
      partWriterMultipart: await this.#o.partWriter.multipart(uploadId),
      lastPartAt: entry?.lastPartAt ?? 0,
      phase: entry?.phase,
    };
  }

  async claim(uploadId: string, phase: Phase, now = Date.now(), cutoff = 0): Promise<ClaimResult> {
    if (this.#outcomes.has(uploadId)) return { result: 'done' };
    const held = this.#uploads.get(uploadId);
    if (held?.phase && held.phase !== phase) return { result: 'held', by: held.phase };
    if (!held?.phase) {
      if (phase === 'expiring') {
        const meta = await this.#o.staging.getUpload(uploadId);
        if (!meta) return { result: 'missing' };
        // Asked again after the await: nothing may have claimed it meanwhile.
        if (this.#outcomes.has(uploadId)) return { result: 'done' };
        const last = Math.max(meta.updatedAt, this.#uploads.get(uploadId)?.lastPartAt ?? 0);
        if (last >= cutoff) return { result: 'active', lastActivity: last };
        const other = this.#uploads.get(uploadId)?.phase;
        if (other && other !== phase) return { result: 'held', by: other };
      }
      const entry = this.#entry(uploadId);
      if (!entry.phase) {
        entry.phase = phase;
        entry.phaseAt = now;
      }
    }
    return { result: 'ok', since: this.#entry(uploadId).phaseAt };
  }

  outcome(uploadId: string): Promise<StoredOutcome | undefined> {
    const stored = this.#outcomes.get(uploadId);
    return Promise.resolve(
      stored ? { record: parseOutcome(stored.record), published: stored.published } : undefined,
    );
  }

  settle(uploadId: string, proposed: OutcomeRecord): Promise<OutcomeRecord> {
    let stored = this.#outcomes.get(uploadId);
    if (!stored) {
      stored = { record: serializeOutcome(proposed), published: false };
      this.#outcomes.set(uploadId, stored);
    }
    return Promise.resolve(parseOutcome(stored.record));
  }

  markPublished(uploadId: string): Promise<void> {
    const stored = this.#outcomes.get(uploadId);
    if (stored) stored.published = true;
    return Promise.resolve();
  }
}

/**
 * Staging in memory, for unit tests of the domain logic that runs on staging (ingest's intake,
 * the part-writer's reads and releases). It keeps the same records under the same key names as
 * `RedisStaging` and follows the same rules (`test/staging-store.suite.ts` runs against both);
 * it has no TTL (a budget's entries of uploads, and their tombstones, stay until changed), keeps
 * no consumer's state (those stores are Redis's alone), and every call is atomic because nothing
 * else runs between its steps.
 */
import {
  SEGMENT_SIZE,
  segmentSlices,
  segmentsOfRecord,
  stagingKeys,
  type Budget,
  type StagingKeys,
} from './keys.ts';
import { MemoryBudgets } from './memory-budgets.ts';
import { newUploadMeta, type ChunkRecord, type UploadMeta } from './records.ts';
import { SegmentWriter } from './segment-writer.ts';
import { copyInto, stagingLost } from './staged-bytes.ts';
import type {
  BudgetMarks,
  BudgetReservation,
  BudgetReserveResult,
  BudgetUsage,
  ChunkWrite,
  ChunkWriteOptions,
  CommitResult,
  NewUpload,
  Reservation,
  ReserveResult,
  SealResult,
  StagedFigure,
  StagedSegments,
  StagingStore,
} from './staging-store.ts';

/** Options of {@link MemoryStaging}. */
export interface MemoryStagingOptions {
  /** Bytes per staged segment. @default 1 MiB */
  readonly segmentSize?: number;
  /** First part of every key. @default 'sluice' */
  readonly namespace?: string;
}

interface UploadEntry {
  meta: UploadMeta;
  readonly chunks: Map<number, ChunkRecord>;
  readonly released: Set<number>;
  /** Write id → bytes reserved and when the lease ends. */
  readonly reserved: Map<string, { bytes: number; until: number }>;
  /** Sequence number of the staged-bytes figure (`stagedSeq` in Redis). */
  seq: number;
  /** The budgets that count the upload (`budget.tenant`, `budget.global` in Redis). */
  marks: BudgetMarks;
}

export class MemoryStaging implements StagingStore {
  readonly keys: StagingKeys;
  readonly segmentSize: number;
  readonly #uploads = new Map<string, UploadEntry>();
  readonly #segments = new Map<string, Buffer>();
  readonly #requests = new Map<string, string>();
  /** Tenant → its open uploads (no TTL here: they leave only when closed). */
  readonly #open = new Map<string, Set<string>>();
  readonly #buckets = new Map<string, { tokens: number; at: number }>();
  readonly #budgets: MemoryBudgets;

  constructor(options: MemoryStagingOptions = {}) {
    this.keys = stagingKeys(options.namespace);
    this.segmentSize = options.segmentSize ?? SEGMENT_SIZE;
    this.#budgets = new MemoryBudgets(this.keys);
  }

  createUpload(upload: NewUpload, now = Date.now()): Promise<{ created: boolean; meta: UploadMeta }> {
    let uploadId = upload.uploadId;
    if (upload.clientRequestId) {
      const requestKey = this.keys.request(upload.tenant, upload.clientRequestId);
      const claimed = this.#requests.get(requestKey);
      if (claimed === undefined) this.#requests.set(requestKey, uploadId);
      else {
        uploadId = claimed;
        const existing = this.#uploads.get(uploadId);
        if (existing) return Promise.resolve({ created: false, meta: existing.meta });
      }
    }
    const meta = newUploadMeta(upload, uploadId, now);
    this.#uploads.set(uploadId, {
      meta,
      chunks: new Map(),
      released: new Set(),
      reserved: new Map(),
      seq: 0,
      marks: { tenant: false, global: false },
    });
    return Promise.resolve({ created: true, meta });
  }

  getUpload(uploadId: string): Promise<UploadMeta | undefined> {
    return Promise.resolve(this.#uploads.get(uploadId)?.meta);
  }

  getChunk(uploadId: string, chunk: number): Promise<ChunkRecord | undefined> {
    return Promise.resolve(this.#uploads.get(uploadId)?.chunks.get(chunk));
  }

  listChunks(uploadId: string): Promise<ChunkRecord[]> {
    const chunks = [...(this.#uploads.get(uploadId)?.chunks.values() ?? [])];
    return Promise.resolve(chunks.sort((a, b) => a.chunk - b.chunk));
  }

  firstGap(uploadId: string): Promise<{ readonly chunk: number; readonly chunksAfter: boolean }> {
    const staged = this.#uploads.get(uploadId)?.chunks ?? new Map<number, ChunkRecord>();
    let chunk = 0;
    while (staged.has(chunk)) chunk++;
    return Promise.resolve({ chunk, chunksAfter: staged.size > chunk });
  }

  reserve(uploadId: string, writeId: string, r: Reservation): Promise<ReserveResult> {
    const entry = this.#uploads.get(uploadId);
    if (!entry) return Promise.resolve({ result: 'missing' });
    if (entry.meta.status !== 'open') return Promise.resolve({ result: 'status', status: entry.meta.status });
    const now = Date.now();
    let others = 0;
    for (const [id, held] of entry.reserved) {
      if (held.until <= now) entry.reserved.delete(id);
      else if (id !== writeId) others += held.bytes;
    }
    if (r.cap === undefined && !entry.reserved.has(writeId)) return Promise.resolve({ result: 'lapsed' });
    const staged = entry.meta.stagedBytes;
    if (r.cap !== undefined && staged + others + r.bytes > r.cap) {
      let gap = 0;
      while (entry.chunks.has(gap)) gap++;
      const chunksAfter = entry.chunks.size > gap;
      if (!(r.chunk === gap && chunksAfter)) {
        return Promise.resolve({
          result: 'full',
          stagedBytes: staged,
          reservedBytes: others,
          gap: { chunk: gap, chunksAfter },
        });
      }
    }
    entry.reserved.set(writeId, { bytes: r.bytes, until: now + Math.max(1, Math.ceil(r.leaseMs)) });
    if (r.cap !== undefined && r.budgets) {
      entry.marks = {
        tenant: entry.marks.tenant || r.budgets.tenant,
        global: entry.marks.global || r.budgets.global,
      };
    }
    return Promise.resolve({ result: 'ok' });
  }

  reserveBudget(budget: Budget, writeId: string, r: BudgetReservation): Promise<BudgetReserveResult> {
    return Promise.resolve(this.#budgets.reserve(budget, writeId, r));
  }

  releaseBudget(budget: Budget, writeId: string): Promise<void> {
    this.#budgets.release(budget, writeId);
    return Promise.resolve();
  }

  settleBudget(budget: Budget, uploadId: string, figure: StagedFigure, writeId: string): Promise<void> {
    this.#budgets.settle(budget, uploadId, figure, writeId);
    return Promise.resolve();
  }

  budgetUsage(budget: Budget): Promise<BudgetUsage> {
    return Promise.resolve(this.#budgets.usage(budget));
  }

  /** Settles every budget that counts the upload. */
  #settleMarked(entry: UploadEntry, figure: StagedFigure | 'gone'): void {
    const { uploadId, tenant } = entry.meta;
    if (entry.marks.tenant) this.#budgets.settle({ kind: 'tenant', tenant }, uploadId, figure, '');
    if (entry.marks.global) this.#budgets.settle({ kind: 'global' }, uploadId, figure, '');
  }

  openUpload(
    tenant: string,
    uploadId: string,
    limit: number | undefined,
  ): Promise<{ readonly admitted: true } | { readonly admitted: false; readonly open: number }> {
    const open = this.#open.get(tenant) ?? new Set<string>();
    this.#open.set(tenant, open);
    if (open.has(uploadId)) return Promise.resolve({ admitted: true });
    if (limit !== undefined && open.size >= limit)
      return Promise.resolve({ admitted: false, open: open.size });
    open.add(uploadId);
    return Promise.resolve({ admitted: true });
  }

  closeUpload(tenant: string, uploadId: string): Promise<void> {
    this.#open.get(tenant)?.delete(uploadId);
    return Promise.resolve();
  }

  takeChunkToken(tenant: string, perSecond: number): Promise<number> {
    const now = Date.now();
    const bucket = this.#buckets.get(tenant) ?? { tokens: perSecond, at: now };
    const tokens = Math.min(perSecond, bucket.tokens + ((now - bucket.at) * perSecond) / 1000);
    const wait = tokens < 1 ? Math.ceil(((1 - tokens) * 1000) / perSecond) : 0;
    this.#buckets.set(tenant, { tokens: wait > 0 ? tokens : tokens - 1, at: now });
    return Promise.resolve(wait);
  }

  releaseReservation(uploadId: string, writeId: string): Promise<void> {
    this.#uploads.get(uploadId)?.reserved.delete(writeId);
    return Promise.resolve();
  }

  openChunkWrite(uploadId: string, chunk: number, options: ChunkWriteOptions = {}): ChunkWrite {
    return new SegmentWriter(this, uploadId, chunk, options);
  }

  /** Keeps one segment; a copy, as Redis keeps its own: the caller may reuse its buffer. */
  writeSegment(prefix: string, index: number, segment: Buffer): Promise<void> {
    this.#segments.set(this.keys.segment(prefix, index), Buffer.from(segment));
    return Promise.resolve();
  }

  commitChunk(
    uploadId: string,
    record: ChunkRecord,
    expectedWriteId: string,
    now = Date.now(),
  ): Promise<CommitResult> {
    const entry = this.#uploads.get(uploadId);
    if (!entry) return Promise.resolve({ result: 'missing' });
    if (entry.meta.status !== 'open') return Promise.resolve({ result: 'status', status: entry.meta.status });
    const current = entry.chunks.get(record.chunk);
    if ((current?.writeId ?? '') !== expectedWriteId) return Promise.resolve({ result: 'raced', current });
    entry.chunks.set(record.chunk, record);
    entry.reserved.delete(record.writeId);
    entry.meta = {
      ...entry.meta,
      stagedBytes: entry.meta.stagedBytes + record.size - (current?.size ?? 0),
      updatedAt: now,
      firstChunkAt: entry.meta.firstChunkAt === 0 ? now : entry.meta.firstChunkAt,
    };
    entry.seq += 1;
    return Promise.resolve({ result: 'ok', staged: { bytes: entry.meta.stagedBytes, seq: entry.seq } });
  }

  markChunkEmitted(uploadId: string, chunk: number, writeId: string): Promise<boolean> {
    const chunks = this.#uploads.get(uploadId)?.chunks;
    const current = chunks?.get(chunk);
    if (!chunks || !current || current.writeId !== writeId) return Promise.resolve(false);
    chunks.set(chunk, { ...current, emitted: true });
    return Promise.resolve(true);
  }

  seal(uploadId: string, totalChunks: number, sha256: string, now = Date.now()): Promise<SealResult> {
    const entry = this.#uploads.get(uploadId);
    if (!entry) return Promise.resolve({ result: 'missing' });
    const { meta } = entry;
    if (meta.status === 'sealed') {
      const total = String(meta.totalChunks ?? '');
      if (total === String(totalChunks) && meta.sha256 === sha256) return Promise.resolve({ result: 'same' });
      return Promise.resolve({
        result: 'status',
        status: meta.status,
        totalChunks: total,
        sha256: meta.sha256,
      });
    }
    if (meta.status !== 'open')
      return Promise.resolve({ result: 'status', status: meta.status, totalChunks: '', sha256: '' });
    for (const n of entry.chunks.keys())
      if (n >= totalChunks) return Promise.resolve({ result: 'beyond', chunk: n });
    if (entry.chunks.size < totalChunks)
      return Promise.resolve({ result: 'incomplete', staged: entry.chunks.size });
    entry.meta = { ...meta, status: 'sealed', totalChunks, sha256, updatedAt: now };
    return Promise.resolve({ result: 'ok' });
  }

  abort(uploadId: string, reason: string, now = Date.now()): Promise<'ok' | 'same' | 'missing'> {
    const entry = this.#uploads.get(uploadId);
    if (!entry) return Promise.resolve('missing');
    if (entry.meta.status === 'aborted') return Promise.resolve('same');
    entry.meta = { ...entry.meta, status: 'aborted', abortReason: reason, updatedAt: now };
    return Promise.resolve('ok');
  }

  markEmitted(uploadId: string, event: 'initiated' | 'sealed' | 'aborted'): Promise<void> {
    const entry = this.#uploads.get(uploadId);
    if (entry) entry.meta = { ...entry.meta, emitted: { ...entry.meta.emitted, [event]: true } };
    return Promise.resolve();
  }

  segmentsOf(
    uploadId: string,
    record: Pick<ChunkRecord, 'chunk' | 'writeId' | 'segmentSize' | 'segmentCount'>,
  ): StagedSegments {
    return segmentsOfRecord(this.keys, uploadId, record);
  }

  readRange(segments: StagedSegments, offset: number, length: number): Promise<Buffer[]> {
    const pieces: Buffer[] = [];
    for (const { index, start, end } of segmentSlices(offset, length, segments.segmentSize)) {
      const segment = this.#segments.get(this.keys.segment(segments.prefix, index));
      if (!segment || segment.length < end) {
        return Promise.reject(stagingLost(`${segments.prefix}:${index}`));
      }
      pieces.push(segment.subarray(start, end));
    }
    return Promise.resolve(pieces);
  }

  async readRangeInto(segments: StagedSegments, offset: number, into: Buffer): Promise<void> {
    copyInto(await this.readRange(segments, offset, into.length), into);
  }

  segmentsPresent(writes: readonly Pick<StagedSegments, 'prefix'>[]): Promise<boolean[]> {
    return Promise.resolve(writes.map((w) => this.#segments.has(this.keys.segment(w.prefix, 0))));
  }

  deleteSegments(segments: Pick<StagedSegments, 'prefix' | 'segmentCount'>): Promise<void> {
    for (let i = 0; i < segments.segmentCount; i++)
      this.#segments.delete(this.keys.segment(segments.prefix, i));
    return Promise.resolve();
  }

  releaseChunk(uploadId: string, chunk: number, size: number): Promise<number> {
    const entry = this.#uploads.get(uploadId);
    if (!entry) return Promise.resolve(0);
    const first = !entry.released.has(chunk);
    if (first) {
      entry.released.add(chunk);
      entry.meta = { ...entry.meta, stagedBytes: entry.meta.stagedBytes - size };
      entry.seq += 1;
    }
    // Also when done before, as in Redis: a retry brings the budgets up to date.
    this.#settleMarked(entry, { bytes: entry.meta.stagedBytes, seq: entry.seq });
    return Promise.resolve(first ? size : 0);
  }

  async *uploadIds(): AsyncGenerator<string[]> {
    const ids = [...this.#uploads.keys()];
    if (ids.length > 0) yield await Promise.resolve(ids);
  }

  async deleteUpload(uploadId: string): Promise<void> {
    const entry = this.#uploads.get(uploadId);
    if (!entry) return;
    this.#settleMarked(entry, 'gone');
    for (const record of entry.chunks.values()) await this.deleteSegments(this.segmentsOf(uploadId, record));
    if (entry.meta.clientRequestId)
      this.#requests.delete(this.keys.request(entry.meta.tenant, entry.meta.clientRequestId));
    this.#uploads.delete(uploadId);
  }

  /** Segment keys held, for tests that check what was left behind. */
  segmentKeys(): string[] {
    return [...this.#segments.keys()];
  }
}

/**
 * Staging in Redis. Key layout and owners: `keys.ts`. Chunk bytes are ~1 MiB segments under a
 * fresh write id (`SegmentWriter`); the upload's state and chunk records change only through
 * the scripts in `scripts.ts`, each of which touches one upload's keys (one slot). Segment bytes
 * travel on a connection of their own, so state commands never queue behind megabytes. The
 * staged-byte budgets that span uploads are `RedisBudgets`' (`redis-budgets.ts`), one slot each.
 */
import { isCluster, type RedisClient } from '@sluice/redis';
import {
  CONSUMER_STATE,
  SEGMENT_SIZE,
  segmentSlices,
  segmentsOfRecord,
  stagingKeys,
  type Budget,
  type StagingKeys,
} from './keys.ts';
import { copyInto, stagingLost } from './staged-bytes.ts';
import { newUploadMeta, type ChunkRecord, type UploadMeta } from './records.ts';
import { marksOf, marksText, RedisBudgets } from './redis-budgets.ts';
import { stagingCall, stagingScript } from './redis-call.ts';
import {
  ABORT,
  COMMIT_CHUNK,
  FORGET_LIVE,
  MARK_CHUNK_EMITTED,
  OPEN_UPLOAD,
  RELEASE_CHUNK,
  RESERVE,
  SEAL,
  TAKE_TOKEN,
} from './scripts.ts';
import { SegmentMissing, SegmentReader } from './segment-reader.ts';
import { sendSegmentSet } from './segment-write.ts';
import { SegmentWriter } from './segment-writer.ts';
import type {
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

/** Options for {@link RedisStaging}. */
export interface RedisStagingOptions {
  /** A connected ioredis client (its `keyPrefix` must be empty). */
  readonly redis: RedisClient;
  /**
   * A second connection to the same Redis for chunk bytes (segment writes and reads), so
   * the small state commands on `redis` never queue behind megabytes of segments. Measured
   * with 32 chunks of 16 MiB in flight on one connection: a chunk's commit waited ~50 ms
   * for other chunks' segments, and Redis spent three times the CPU per byte it spends when
   * the segments stream on their own connection. @default redis
   */
  readonly bulkRedis?: RedisClient;
  /** Idle time after which Redis drops an upload's keys; refreshed on activity. @default 48 h */
  readonly ttlMs?: number;
  /** Bytes per staged segment. @default 1 MiB */
  readonly segmentSize?: number;
  /** First part of every key. @default 'sluice' */
  readonly namespace?: string;
}

/** How long reads go through ioredis after the segment reader failed. */
const READER_PAUSE_MS = 10_000;

/** How old an index entry without an upload must be before it is pruned (creation takes far less). */
const LIVE_ENTRY_GRACE_MS = 60_000;

/**
 * Staging of uploads in Redis (layout in `keys.ts`): upload state, chunk records and
 * chunk bytes as ~1 MiB segments. Redis values of about 1 MiB move three to five
 * times faster than 16 MiB ones, big values stall the server, and strings stop at 512 MB.
 */
export class RedisStaging implements StagingStore {
  readonly redis: RedisClient;
  /** Where segment bytes go and come from (see {@link RedisStagingOptions.bulkRedis}). */
  readonly bulkRedis: RedisClient;
  readonly ttlMs: number;
  readonly segmentSize: number;
  readonly keys: StagingKeys;
  readonly #budgets: RedisBudgets;

  constructor(options: RedisStagingOptions) {
    this.redis = options.redis;
    this.bulkRedis = options.bulkRedis ?? options.redis;
    this.keys = stagingKeys(options.namespace);
    this.ttlMs = options.ttlMs ?? 48 * 3_600_000;
    this.segmentSize = options.segmentSize ?? SEGMENT_SIZE;
    this.redis.defineCommand('sluiceReserve', { numberOfKeys: 3, lua: RESERVE });
    this.redis.defineCommand('sluiceOpenUpload', { numberOfKeys: 1, lua: OPEN_UPLOAD });
    this.redis.defineCommand('sluiceTakeToken', { numberOfKeys: 1, lua: TAKE_TOKEN });
    this.redis.defineCommand('sluiceCommitChunk', { numberOfKeys: 3, lua: COMMIT_CHUNK });
    this.redis.defineCommand('sluiceMarkChunkEmitted', { numberOfKeys: 1, lua: MARK_CHUNK_EMITTED });
    this.redis.defineCommand('sluiceSeal', { numberOfKeys: 2, lua: SEAL });
    this.redis.defineCommand('sluiceAbort', { numberOfKeys: 1, lua: ABORT });
    this.redis.defineCommand('sluiceReleaseChunk', { numberOfKeys: 1, lua: RELEASE_CHUNK });
    this.redis.defineCommand('sluiceForgetLive', { numberOfKeys: 1, lua: FORGET_LIVE });
    this.#budgets = new RedisBudgets(this.redis, this.keys, this.ttlMs);
  }

  /**
   * Creates the upload, or, when `clientRequestId` was used before by the tenant,
   * returns the upload it created then (`created: false`).
   */
  async createUpload(upload: NewUpload, now = Date.now()): Promise<{ created: boolean; meta: UploadMeta }> {
    let uploadId = upload.uploadId;
    if (upload.clientRequestId) {
      const requestKey = this.keys.request(upload.tenant, upload.clientRequestId);
      const won = await stagingCall(() => this.redis.set(requestKey, uploadId, 'PX', this.ttlMs, 'NX'));
      if (won === null) {
        uploadId = (await stagingCall(() => this.redis.get(requestKey))) ?? uploadId;
        const existing = await this.getUpload(uploadId);
        // A crash between claiming the request id and writing the upload leaves the id
        // claimed and no upload: create it now under the claimed id.
        if (existing) return { created: false, meta: existing };
      }
    }
    const meta = newUploadMeta(upload, uploadId, now);
    const key = this.keys.meta(uploadId);
    // Into the index first: a crash before the meta leaves an entry the next sweep prunes.
    await stagingCall(() => this.redis.zadd(this.keys.liveUploads(uploadId), now, uploadId));
    await stagingCall(() => this.redis.multi().hset(key, toHash(meta)).pexpire(key, this.ttlMs).exec());
    return { created: true, meta };
  }

  async getUpload(uploadId: string): Promise<UploadMeta | undefined> {
    const hash = await stagingCall(() => this.redis.hgetall(this.keys.meta(uploadId)));
    return Object.keys(hash).length === 0 ? undefined : fromHash(hash);
  }

  async getChunk(uploadId: string, chunk: number): Promise<ChunkRecord | undefined> {
    const raw = await stagingCall(() => this.redis.hget(this.keys.chunks(uploadId), String(chunk)));
    return raw ? (JSON.parse(raw) as ChunkRecord) : undefined;
  }

  /**
   * Where the staged chunks leave a gap: the lowest chunk number not staged, and whether
   * any chunk after it is staged (chunks that wait for the gap to be filled).
   */
  async firstGap(uploadId: string): Promise<{ readonly chunk: number; readonly chunksAfter: boolean }> {
    const fields = await stagingCall(() => this.redis.hkeys(this.keys.chunks(uploadId)));
    const staged = new Set(fields.map(Number));
    let chunk = 0;
    while (staged.has(chunk)) chunk++;
    return { chunk, chunksAfter: staged.size > chunk };
  }

  /** Every staged chunk, by chunk number. */
  async listChunks(uploadId: string): Promise<ChunkRecord[]> {
    const hash = await stagingCall(() => this.redis.hgetall(this.keys.chunks(uploadId)));
    return Object.values(hash)
      .map((raw) => JSON.parse(raw) as ChunkRecord)
      .sort((a, b) => a.chunk - b.chunk);
  }

  async reserve(uploadId: string, writeId: string, r: Reservation): Promise<ReserveResult> {
    const reply = (await stagingScript(this.redis, 'sluiceReserve', [
      this.keys.meta(uploadId),
      this.keys.chunks(uploadId),
      this.keys.reservations(uploadId),
      writeId,
      String(r.bytes),
      String(r.cap ?? -1),
      String(r.chunk),
      String(Math.max(1, Math.ceil(r.leaseMs))),
      marksText(r.budgets),
    ])) as string[];
    const [result, a = '', b = '', c = '', d = ''] = reply;
    switch (result) {
      case 'ok':
      case 'missing':
      case 'lapsed':
        return { result };
      case 'status':
        return { result, status: a };
      default:
        return {
          result: 'full',
          stagedBytes: Number(a),
          reservedBytes: Number(b),
          gap: { chunk: Number(c), chunksAfter: d === '1' },
        };
    }
  }

  async openUpload(
    tenant: string,
    uploadId: string,
    limit: number | undefined,
  ): Promise<{ readonly admitted: true } | { readonly admitted: false; readonly open: number }> {
    const [result, open = '0'] = (await stagingScript(this.redis, 'sluiceOpenUpload', [
      this.keys.openUploads(tenant),
      uploadId,
      String(limit ?? -1),
      String(this.ttlMs),
    ])) as string[];
    return result === 'ok' ? { admitted: true } : { admitted: false, open: Number(open) };
  }

  async closeUpload(tenant: string, uploadId: string): Promise<void> {
    await stagingCall(() => this.redis.zrem(this.keys.openUploads(tenant), uploadId));
  }

  async takeChunkToken(tenant: string, perSecond: number): Promise<number> {
    return Number(
      await stagingScript(this.redis, 'sluiceTakeToken', [this.keys.chunkRate(tenant), String(perSecond)]),
    );
  }

  async releaseReservation(uploadId: string, writeId: string): Promise<void> {
    await stagingCall(() => this.redis.hdel(this.keys.reservations(uploadId), writeId));
  }

  reserveBudget(budget: Budget, writeId: string, r: BudgetReservation): Promise<BudgetReserveResult> {
    return this.#budgets.reserve(budget, writeId, r);
  }

  releaseBudget(budget: Budget, writeId: string): Promise<void> {
    return this.#budgets.release(budget, writeId);
  }

  settleBudget(budget: Budget, uploadId: string, figure: StagedFigure, writeId: string): Promise<void> {
    return this.#budgets.settle(budget, uploadId, figure, writeId);
  }

  budgetUsage(budget: Budget): Promise<BudgetUsage> {
    return this.#budgets.usage(budget);
  }

  openChunkWrite(uploadId: string, chunk: number, options: ChunkWriteOptions = {}): ChunkWrite {
    return new SegmentWriter(this, uploadId, chunk, options);
  }

  /** Sends one segment on the bulk connection, without copying its bytes (`segment-write.ts`). */
  async writeSegment(prefix: string, index: number, segment: Buffer): Promise<void> {
    await stagingCall(() =>
      sendSegmentSet(this.bulkRedis, this.keys.segment(prefix, index), segment, this.ttlMs),
    );
  }

  /** Records a staged chunk; see {@link CommitResult}. `expectedWriteId` is '' for a new chunk. */
  async commitChunk(
    uploadId: string,
    record: ChunkRecord,
    expectedWriteId: string,
    now = Date.now(),
  ): Promise<CommitResult> {
    const reply = (await stagingScript(this.redis, 'sluiceCommitChunk', [
      this.keys.meta(uploadId),
      this.keys.chunks(uploadId),
      this.keys.reservations(uploadId),
      String(record.chunk),
      JSON.stringify(record),
      expectedWriteId,
      String(record.size),
      String(this.ttlMs),
      String(now),
      record.writeId,
    ])) as [string, string | null | undefined, string | undefined];
    switch (reply[0]) {
      case 'ok':
        return { result: 'ok', staged: { bytes: Number(reply[1]), seq: Number(reply[2]) } };
      case 'missing':
        return { result: 'missing' };
      case 'status':
        return { result: 'status', status: String(reply[1]) };
      default:
        return { result: 'raced', current: reply[1] ? (JSON.parse(reply[1]) as ChunkRecord) : undefined };
    }
  }

  /** Notes that the chunk's event is durable; false when the chunk has moved on to another write. */
  async markChunkEmitted(uploadId: string, chunk: number, writeId: string): Promise<boolean> {
    const n = await stagingScript(this.redis, 'sluiceMarkChunkEmitted', [
      this.keys.chunks(uploadId),
      String(chunk),
      writeId,
    ]);
    return n === 1;
  }

  async seal(uploadId: string, totalChunks: number, sha256: string, now = Date.now()): Promise<SealResult> {
    const reply = (await stagingScript(this.redis, 'sluiceSeal', [
      this.keys.meta(uploadId),
      this.keys.chunks(uploadId),
      String(totalChunks),
      sha256,
      String(now),
    ])) as string[];
    const [result, a = '', b = '', c = ''] = reply;
    if (result === 'status') return { result, status: a, totalChunks: b, sha256: c };
    if (result === 'beyond') return { result, chunk: Number(a) };
    if (result === 'incomplete') return { result, staged: Number(a) };
    return { result: result as 'ok' | 'same' | 'missing' };
  }

  async abort(uploadId: string, reason: string, now = Date.now()): Promise<'ok' | 'same' | 'missing'> {
    const reply = (await stagingScript(this.redis, 'sluiceAbort', [
      this.keys.meta(uploadId),
      reason,
      String(now),
    ])) as string[];
    return reply[0] as 'ok' | 'same' | 'missing';
  }

  /** Notes that a lifecycle event of the upload is durable. */
  async markEmitted(uploadId: string, event: 'initiated' | 'sealed' | 'aborted'): Promise<void> {
    await stagingCall(() => this.redis.hset(this.keys.meta(uploadId), `emitted.${event}`, '1'));
  }

  /** Where a chunk write's segments live: what ChunkUploaded carries. */
  segmentsOf(
    uploadId: string,
    record: Pick<ChunkRecord, 'chunk' | 'writeId' | 'segmentSize' | 'segmentCount'>,
  ): StagedSegments {
    return segmentsOfRecord(this.keys, uploadId, record);
  }

  /**
   * Reads `length` bytes of a staged chunk from `offset` on, across its segments
   * (GETRANGE on the partial ends, GET on whole segments). Returns the pieces in order.
   * @throws DataLossError STAGING_LOST when a segment is gone.
   */
  async readRange(segments: StagedSegments, offset: number, length: number): Promise<Buffer[]> {
    const slices = segmentSlices(offset, length, segments.segmentSize);
    if (slices.length === 0) return [];
    const pipeline = this.bulkRedis.pipeline();
    for (const { index, start, end } of slices) {
      const key = this.keys.segment(segments.prefix, index);
      if (start === 0 && end === segments.segmentSize) pipeline.getBuffer(key);
      else pipeline.getrangeBuffer(key, start, end - 1);
    }
    const results = await stagingCall(() => execPipeline(pipeline));
    return results.map((value, k) => {
      const buf = value as Buffer | null;
      const slice = slices[k] as (typeof slices)[number];
      if (!buf || buf.length !== slice.end - slice.start)
        throw stagingLost(`${segments.prefix}:${slice.index}`);
      return buf;
    });
  }

  /**
   * {@link readRange} into `into`: on one Redis over plain TCP through a {@link SegmentReader},
   * which writes the bytes straight into it; otherwise, or when the reader's connection fails,
   * through ioredis, and copied.
   */
  async readRangeInto(segments: StagedSegments, offset: number, into: Buffer): Promise<void> {
    const reader = this.#segmentReader();
    if (reader) {
      let at = 0;
      const reads = segmentSlices(offset, into.length, segments.segmentSize).map(({ index, start, end }) => {
        const piece = into.subarray(at, at + end - start);
        at += piece.length;
        const key = this.keys.segment(segments.prefix, index);
        return start === 0 && end === segments.segmentSize
          ? { key, into: piece }
          : { key, start, into: piece };
      });
      try {
        await reader.read(reads);
        return;
      } catch (err) {
        if (err instanceof SegmentMissing) throw stagingLost(err.key);
        // The connection failed or Redis refused: ioredis, with its reconnects and retries, tries
        // again, and has every read for a while, so a reader that cannot work (a proxy that
        // refuses its handshake, say) costs one attempt per pause, not one per read.
        this.#readerPausedUntil = Date.now() + READER_PAUSE_MS;
      }
    }
    copyInto(await this.readRange(segments, offset, into.length), into);
  }

  #reader: SegmentReader | undefined | null = null;
  #readerPausedUntil = 0;

  #segmentReader(): SegmentReader | undefined {
    if (this.#reader === null)
      this.#reader = isCluster(this.bulkRedis) ? undefined : SegmentReader.of(this.bulkRedis);
    return Date.now() < this.#readerPausedUntil ? undefined : this.#reader;
  }

  /** Closes what the store opened itself (the segment reader's connection); the clients are the caller's. */
  close(): void {
    this.#reader?.close();
    this.#reader = undefined;
  }

  /**
   * Whether each write's segments are still in Redis (judged by its first segment): the
   * part-writer deletes them once every part holding them is stored.
   */
  async segmentsPresent(writes: readonly Pick<StagedSegments, 'prefix'>[]): Promise<boolean[]> {
    const present: boolean[] = [];
    // Commands, not a pipeline: the writes belong to many uploads, so on a Redis Cluster to many
    // slots, which one pipeline may not span. ioredis still sends them without waiting.
    for (let i = 0; i < writes.length; i += 1000) {
      const batch = writes.slice(i, i + 1000);
      const found = await stagingCall(() =>
        Promise.all(batch.map((write) => this.redis.exists(this.keys.segment(write.prefix, 0)))),
      );
      for (const n of found) present.push(n === 1);
    }
    return present;
  }

  /** Deletes a chunk write's segments. */
  async deleteSegments(segments: Pick<StagedSegments, 'prefix' | 'segmentCount'>): Promise<void> {
    if (segments.segmentCount === 0) return;
    const list = Array.from({ length: segments.segmentCount }, (_, i) =>
      this.keys.segment(segments.prefix, i),
    );
    await stagingCall(() => this.redis.unlink(...list));
  }

  async releaseChunk(uploadId: string, chunk: number, size: number): Promise<number> {
    const [released = '0', bytes = '0', seq = '0', tenant = '', marks = ''] = (await stagingScript(
      this.redis,
      'sluiceReleaseChunk',
      [this.keys.meta(uploadId), String(chunk), String(size)],
    )) as string[];
    // Only uploads a budget counts pay the extra round trips (one per budget, in parallel).
    if (marks !== '')
      await this.#budgets.settleMarked(marksOf(marks), tenant, uploadId, {
        bytes: Number(bytes),
        seq: Number(seq),
      });
    return Number(released);
  }

  /**
   * Pages of the ids of every upload with staged state, from the live-upload index (never a
   * SCAN). Entries whose upload is gone (expired by Redis, or a crash between the index and
   * the meta) are pruned once they are a minute old, and not listed.
   */
  async *uploadIds(now = Date.now()): AsyncGenerator<string[]> {
    for (const shard of this.keys.liveUploadShards()) {
      let cursor = '0';
      do {
        const [next, flat] = await stagingCall(
          () => this.redis.zscan(shard, cursor, 'COUNT', 500),
          'Redis ZSCAN',
        );
        cursor = next;
        const entries: { id: string; score: string }[] = [];
        for (let i = 0; i + 1 < flat.length; i += 2) entries.push({ id: flat[i]!, score: flat[i + 1]! });
        const present = await Promise.all(
          entries.map(({ id }) => stagingCall(() => this.redis.exists(this.keys.meta(id)))),
        );
        const live: string[] = [];
        for (const [i, { id, score }] of entries.entries()) {
          if (present[i] === 1) live.push(id);
          else if (Number(score) < now - LIVE_ENTRY_GRACE_MS) await this.#forgetLive(id, score);
        }
        if (live.length > 0) yield live;
      } while (cursor !== '0');
    }
  }

  async #forgetLive(uploadId: string, score: string): Promise<void> {
    await stagingScript(this.redis, 'sluiceForgetLive', [this.keys.liveUploads(uploadId), uploadId, score]);
  }

  /**
   * Deletes the upload's keys by name, never by scanning the keyspace: its state, its chunk
   * records and the segments they name, every consumer's hash (`CONSUMER_STATE`), and its
   * client request id. Segments of writes no record names any more (a forced replacement the
   * part-writer had not cleaned up yet) are left to their TTL.
   */
  async deleteUpload(uploadId: string): Promise<void> {
    const hash = await stagingCall(() => this.redis.hgetall(this.keys.meta(uploadId)));
    const meta = Object.keys(hash).length === 0 ? undefined : fromHash(hash);
    // The budgets drop the upload before its meta goes: a crash in between leaves the meta that
    // says which budgets count it, and the retry drops it there again.
    const marks = { tenant: hash['budget.tenant'] === '1', global: hash['budget.global'] === '1' };
    if (meta) await this.#budgets.settleMarked(marks, meta.tenant, uploadId, 'gone');
    const chunks = await this.listChunks(uploadId);
    const doomed = [
      this.keys.meta(uploadId),
      this.keys.chunks(uploadId),
      this.keys.reservations(uploadId),
      ...(Object.keys(CONSUMER_STATE) as (keyof typeof CONSUMER_STATE)[]).map((c) =>
        this.keys.consumerState(uploadId, c),
      ),
    ];
    if (meta?.clientRequestId)
      await stagingCall(() => this.redis.unlink(this.keys.request(meta.tenant, meta.clientRequestId)));
    for (const chunk of chunks) {
      const { prefix, segmentCount } = this.segmentsOf(uploadId, chunk);
      for (let i = 0; i < segmentCount; i++) doomed.push(this.keys.segment(prefix, i));
    }
    // Segments first and the records last, so a crash midway leaves records that still
    // name what is left and a retry deletes it.
    for (let i = doomed.length; i > 0; i -= 1000) {
      const batch = doomed.slice(Math.max(0, i - 1000), i);
      await stagingCall(() => this.redis.unlink(...batch));
    }
    // Out of the index last: a crash before this leaves an entry the next sweep prunes.
    await stagingCall(() => this.redis.zrem(this.keys.liveUploads(uploadId), uploadId));
  }
}

async function execPipeline(pipeline: ReturnType<RedisClient['pipeline']>): Promise<unknown[]> {
  const results = (await pipeline.exec()) ?? [];
  return results.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

function toHash(meta: UploadMeta): Record<string, string> {
  return {
    uploadId: meta.uploadId,
    tenant: meta.tenant,
    drive: meta.drive,
    nodeId: meta.nodeId,
    filename: meta.filename,
    mimeType: meta.mimeType,
    metadata: JSON.stringify(meta.metadata),
    sizeHint: String(meta.sizeHint),
    fixedChunkSize: String(meta.fixedChunkSize),
    clientRequestId: meta.clientRequestId,
    traceparent: meta.traceparent,
    destination: JSON.stringify(meta.destination),
    status: meta.status,
    totalChunks: meta.totalChunks === undefined ? '' : String(meta.totalChunks),
    sha256: meta.sha256,
    abortReason: meta.abortReason,
    stagedBytes: String(meta.stagedBytes),
    createdAt: String(meta.createdAt),
    updatedAt: String(meta.updatedAt),
    firstChunkAt: String(meta.firstChunkAt),
    'emitted.initiated': meta.emitted.initiated ? '1' : '0',
    'emitted.sealed': meta.emitted.sealed ? '1' : '0',
    'emitted.aborted': meta.emitted.aborted ? '1' : '0',
  };
}

function fromHash(h: Record<string, string>): UploadMeta {
  const num = (k: string): number => Number(h[k] ?? 0);
  return {
    uploadId: h['uploadId'] ?? '',
    tenant: h['tenant'] ?? '',
    drive: h['drive'] ?? '',
    nodeId: h['nodeId'] ?? '',
    filename: h['filename'] ?? '',
    mimeType: h['mimeType'] ?? '',
    metadata: JSON.parse(h['metadata'] ?? '{}') as Record<string, string>,
    sizeHint: num('sizeHint'),
    fixedChunkSize: num('fixedChunkSize'),
    clientRequestId: h['clientRequestId'] ?? '',
    traceparent: h['traceparent'] ?? '',
    destination: JSON.parse(h['destination'] ?? '{}') as UploadMeta['destination'],
    status: (h['status'] ?? 'open') as UploadMeta['status'],
    totalChunks: h['totalChunks'] ? Number(h['totalChunks']) : undefined,
    sha256: h['sha256'] ?? '',
    abortReason: h['abortReason'] ?? '',
    stagedBytes: num('stagedBytes'),
    createdAt: num('createdAt'),
    updatedAt: num('updatedAt'),
    firstChunkAt: num('firstChunkAt'),
    emitted: {
      initiated: h['emitted.initiated'] === '1',
      sealed: h['emitted.sealed'] === '1',
      aborted: h['emitted.aborted'] === '1',
    },
  };
}

import {
  crc32cToBase64,
  parseCrc32c,
  parseSha256,
  type ChecksumAlgorithm,
  type ChecksumPool,
  type ChecksumSession,
  type ChunkChecksums,
} from '@sluice/checksums';
import {
  ConflictError,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
} from '@sluice/errors';
import type { Logger } from '@sluice/logging';
import { failSpan, withSpan, type Span } from '@sluice/telemetry';
import type {
  Budget,
  BudgetMarks,
  BudgetReserveResult,
  ChunkRecord,
  ChunkWrite,
  StagedFigure,
  StagingStore,
  UploadMeta,
} from '@sluice/staging';
import type { Tenants } from '@sluice/tenants';
import { chunkUploaded, uploadInitiated } from './events.ts';
import { requireReplaceable } from './late-replacement.ts';
import { startUploadSpan } from './upload-trace.ts';
import type { IngestLimits } from './limits.ts';
import type { IngestMetrics } from './metrics.ts';
import { requireOpen, uploadOf, type ChunkEvents } from './uploads.ts';
import type { ProjectedUploads } from './status.ts';

/** How far ahead of the bytes a chunk of unknown size reserves room under the staging cap. */
const RESERVE_STEP = 4 * 1024 * 1024;

/** Bytes of a streamed chunk that may wait for its checksums before the stream is paused. */
const MAX_HASH_BACKLOG = 16 * 1024 * 1024;

/** What a client says about a chunk before (or with) its bytes. */
export interface ChunkHeader {
  readonly uploadId: string;
  readonly chunkNumber: number;
  /** Hex or base64 SHA-256 of the bytes; '' when the client sends none. */
  readonly sha256: string;
  /** Base64 (as S3 writes it) or hex CRC32C of the bytes; '' or absent when the client sends none. */
  readonly crc32c?: string;
  readonly force: boolean;
  /** Bytes the stream will carry; 0 when unknown (unary: the data's length). */
  readonly size: number;
}

/** The acknowledgement of a staged chunk. */
export interface ChunkAck {
  readonly chunkNumber: number;
  readonly size: number;
  readonly sha256: string;
  readonly duplicate: boolean;
}

export interface ChunkIntakeDeps {
  readonly staging: StagingStore;
  readonly events: ChunkEvents;
  /** Where chunks are hashed, off the thread that serves gRPC. */
  readonly checksums: ChecksumPool;
  readonly limits: IngestLimits;
  /**
   * True while the Redis that would hold the upload's keys is above its high watermark (on a
   * Redis Cluster, the master of the upload's slot).
   */
  readonly stagingFull: (uploadId: string) => boolean;
  readonly metrics: IngestMetrics;
  readonly logger: Logger;
  /** Each tenant's limits (chunk calls per second, staged bytes). */
  readonly tenants: Pick<Tenants, 'limits'>;
  /** The projection, to tell an upload whose staged state was lost from a missing one. */
  readonly projected?: Pick<ProjectedUploads, 'find'>;
}

/** A staged-byte budget a chunk reserves on, and its limit. */
interface BudgetLimit {
  readonly budget: Budget;
  readonly limit: number;
}

/** A chunk being received: bytes go to Redis segment by segment while they are hashed. */
export interface ChunkReceiver {
  /** Feeds the next bytes; resolves when it is safe to send more. */
  write(data: Buffer): Promise<void>;
  /** Ends the chunk: verifies, records and announces it, then acknowledges. */
  finish(): Promise<ChunkAck>;
  /** Drops whatever was staged for this attempt. */
  abort(): Promise<void>;
}

/**
 * Staging of chunks: the ACK path. A chunk is acknowledged once its bytes are in Redis,
 * its record is committed and its ChunkUploaded event is durable in Kafka. Each step
 * is safe to die after:
 * - after the reservations (the upload's, then the tenant's and the global budget's, when
 *   configured): each is leased, and lapses when no renewal comes.
 * - after segments are written: they are named by a fresh write id nothing refers to,
 *   and expire; the client's retry writes new ones.
 * - after the record is committed, before the budgets have the upload's new figure: the
 *   write's budget reservations hold its bytes until their lease ends; after that the budgets
 *   under-count the upload until its next commit or release sets the figure again.
 * - after the record is committed: the record says `emitted: false`, so the client's
 *   retry (same bytes) finds it and emits the event it lacks, with the same event id.
 * - after the event is durable: a retry is answered `duplicate` and the repeated mark
 *   is harmless.
 */
export class ChunkIntake {
  readonly #d: ChunkIntakeDeps;

  constructor(deps: ChunkIntakeDeps) {
    this.#d = deps;
  }

  /** Stages a chunk whose bytes arrived in one message. */
  async stageUnary(tenant: string, header: ChunkHeader, data: Buffer): Promise<ChunkAck> {
    if (data.length > this.#d.limits.maxUnaryChunkBytes) {
      throw new ResourceExhaustedError(
        'CHUNK_TOO_LARGE',
        `chunk ${header.chunkNumber} of upload ${header.uploadId} is ${data.length} bytes; one UploadChunk call ` +
          `carries at most ${this.#d.limits.maxUnaryChunkBytes}: send it with UploadChunkStream`,
      );
    }
    const receiver = await this.open(tenant, { ...header, size: data.length });
    try {
      await receiver.write(data);
      return await receiver.finish();
    } catch (err) {
      await receiver.abort();
      throw err;
    }
  }

  /** Checks the header against the upload and opens a receiver for the bytes. */
  async open(tenant: string, header: ChunkHeader): Promise<ChunkReceiver> {
    const d = this.#d;
    const { uploadId, chunkNumber } = header;
    if (!Number.isInteger(chunkNumber) || chunkNumber < 0 || chunkNumber > d.limits.maxChunkNumber) {
      throw new InvalidArgumentError(
        `chunk number ${chunkNumber} is out of range: chunks are numbered from 0 to ${d.limits.maxChunkNumber}`,
        { code: 'INVALID_CHUNK_NUMBER' },
      );
    }
    if (header.size > d.limits.maxChunkBytes) {
      throw new InvalidArgumentError(
        `chunk ${chunkNumber} is ${header.size} bytes; the largest chunk is ${d.limits.maxChunkBytes} bytes: send smaller chunks`,
      );
    }
    const expected: Expected = {
      sha256: header.sha256 ? parseSha256(header.sha256).toString('hex') : '',
      ...(header.crc32c ? { crc32c: parseCrc32c(header.crc32c) } : {}),
    };
    await this.#pace(tenant);
    const meta = await uploadOf(d.staging, tenant, uploadId, d.projected);
    requireOpen(meta);
    if (meta.fixedChunkSize > 0 && header.size > meta.fixedChunkSize) {
      throw new InvalidArgumentError(
        `chunk ${chunkNumber} is ${header.size} bytes but upload ${uploadId} declared chunks of ${meta.fixedChunkSize} bytes`,
      );
    }
    const existing = await d.staging.getChunk(uploadId, chunkNumber);
    if (existing && !header.force && expected.sha256 && expected.sha256 !== existing.sha256) {
      throw conflict(meta, chunkNumber);
    }
    if (existing && header.force && header.size > 0 && header.size !== existing.size) {
      throw sizeChange(meta, existing, header.size);
    }
    if (existing && header.force) await requireReplaceable(d.staging, meta, existing);
    const staging = !existing || header.force;
    if (staging) this.#admit(uploadId);
    const receiver = new Receiver(d, meta, header, expected, existing, this.#budgets(tenant));
    if (staging) {
      try {
        await receiver.reserve(header.size);
      } catch (err) {
        await receiver.abort();
        throw err;
      }
    }
    return receiver;
  }

  /** The tenant's chunk calls per second, when it has a limit: refused past it, with the wait. */
  async #pace(tenant: string): Promise<void> {
    const perSecond = this.#d.tenants.limits(tenant).maxChunksPerSecond;
    if (perSecond === undefined) return;
    const waitMs = await this.#d.staging.takeChunkToken(tenant, perSecond);
    if (waitMs === 0) return;
    this.#d.metrics.refused.inc({ code: 'TENANT_RATE_LIMIT' });
    throw new ResourceExhaustedError(
      'TENANT_RATE_LIMIT',
      `your tenant may send ${perSecond} chunks a second: retry after the pushback delay`,
      { retryAfterMs: waitMs },
    );
  }

  /** The staged-byte budgets configured for the tenant's chunks, in the order they are reserved. */
  #budgets(tenant: string): BudgetLimit[] {
    const own = this.#d.tenants.limits(tenant).maxStagedBytes;
    const global = this.#d.limits.maxStagedBytesGlobal;
    return [
      ...(own === undefined ? [] : [{ budget: { kind: 'tenant', tenant } as const, limit: own }]),
      ...(global === undefined ? [] : [{ budget: { kind: 'global' } as const, limit: global }]),
    ];
  }

  /** Back-pressure on the whole of staging: refuse before any byte is staged. */
  #admit(uploadId: string): void {
    const d = this.#d;
    if (!d.stagingFull(uploadId)) return;
    d.metrics.refused.inc({ code: 'STAGING_FULL' });
    throw new ResourceExhaustedError(
      'STAGING_FULL',
      'staging is above its high watermark (Redis memory); retry after the pushback delay',
      { retryAfterMs: d.limits.retryPushbackMs },
    );
  }
}

/** Observes the time from one stage of the ACK path to the next. */
class StageClock {
  readonly #metrics: IngestMetrics;
  #last = process.hrtime.bigint();

  constructor(metrics: IngestMetrics) {
    this.#metrics = metrics;
  }

  lap(stage: 'hashed' | 'staged' | 'committed' | 'announced'): void {
    const now = process.hrtime.bigint();
    this.#metrics.ackStageSeconds.observe({ stage }, Number(now - this.#last) / 1e9);
    this.#last = now;
  }
}

function conflict(meta: UploadMeta, chunk: number): ConflictError {
  return new ConflictError(
    'CHUNK_CONFLICT',
    `chunk ${chunk} of upload ${meta.uploadId} is already staged with different bytes: ` +
      'send the same bytes, or set force to replace it',
  );
}

function sizeChange(meta: UploadMeta, existing: ChunkRecord, size: number): ConflictError {
  return new ConflictError(
    'CHUNK_CONFLICT',
    `chunk ${existing.chunk} of upload ${meta.uploadId} is staged with ${existing.size} bytes; a forced replacement ` +
      `must keep that size (got ${size}), since every later byte offset depends on it`,
  );
}

/** Checksums the client sent with a chunk, to verify: a SHA-256 in hex ('' for none), a CRC32C. */
interface Expected {
  readonly sha256: string;
  readonly crc32c?: number;
}

function algorithmsFor(meta: UploadMeta, expected: Expected): ChecksumAlgorithm[] {
  const mode = meta.destination.checksumMode;
  return [
    'sha256',
    'crc64nvme',
    ...(mode === 'crc32c' || expected.crc32c !== undefined ? (['crc32c'] as const) : []),
    ...(mode === 'crc32' ? (['crc32'] as const) : []),
  ];
}

class Receiver implements ChunkReceiver {
  readonly #d: ChunkIntakeDeps;
  readonly #meta: UploadMeta;
  readonly #header: ChunkHeader;
  readonly #expected: Expected;
  readonly #existing: ChunkRecord | undefined;
  readonly #digest: ChecksumSession<ChecksumAlgorithm>;
  /** Where the bytes are staged; none when the chunk exists and is not forced (only hashed). */
  readonly #write: ChunkWrite | undefined;
  #received = 0;
  /** Bytes this write holds reserved against the upload's staging cap. */
  #reserved = 0;
  /** Whether a reservation was taken (and may need dropping). */
  #holds = false;
  /** The staged-byte budgets this chunk reserves on (none when none is configured). */
  readonly #budgets: readonly BudgetLimit[];
  /** The budgets on which this write holds a reservation (and may need dropping). */
  #heldBudgets: Budget[] = [];
  /** Renews the reservation's lease while the bytes stream in. */
  #renewal: NodeJS.Timeout | undefined;
  #renewing: Promise<void> = Promise.resolve();
  /** The chunk's span in its upload's trace, from the header to the acknowledgement. */
  readonly #span: Span;
  #spanEnded = false;

  constructor(
    d: ChunkIntakeDeps,
    meta: UploadMeta,
    header: ChunkHeader,
    expected: Expected,
    existing: ChunkRecord | undefined,
    budgets: readonly BudgetLimit[],
  ) {
    this.#d = d;
    this.#budgets = budgets;
    this.#meta = meta;
    this.#header = header;
    this.#expected = expected;
    this.#existing = existing;
    this.#digest = d.checksums.session(algorithmsFor(meta, expected), header.size);
    this.#span = startUploadSpan(meta, `stage chunk ${header.chunkNumber}`, {
      'sluice.chunk_number': header.chunkNumber,
      'sluice.chunk_bytes': header.size,
      'sluice.force': header.force,
    });
    // Without force, a chunk that exists ends as a duplicate or a conflict: never staged again.
    this.#write =
      !existing || header.force
        ? d.staging.openChunkWrite(meta.uploadId, header.chunkNumber, {
            beforeSegment: () => this.#admitSegment(),
          })
        : undefined;
  }

  async write(data: Buffer): Promise<void> {
    this.#received += data.length;
    if (
      this.#received > this.#d.limits.maxChunkBytes ||
      (this.#header.size > 0 && this.#received > this.#header.size)
    ) {
      throw new InvalidArgumentError(
        `chunk ${this.#header.chunkNumber} sent more bytes than ${this.#header.size > 0 ? `its header declared (${this.#header.size})` : `the limit (${this.#d.limits.maxChunkBytes})`}`,
      );
    }
    // A chunk of unknown size reserves its bytes as they come, a step ahead of them.
    if (this.#write && this.#received > this.#reserved) {
      await this.reserve(
        Math.min(
          this.#d.limits.maxChunkBytes,
          this.#received + RESERVE_STEP - (this.#received % RESERVE_STEP),
        ),
      );
    }
    // Hashed on another thread while the segments go to Redis from this one.
    this.#digest.update(data);
    await this.#write?.write(data);
    // A stream whose bytes arrive faster than they are hashed waits: memory stays bounded.
    if (this.#digest.backlog > MAX_HASH_BACKLOG) await this.#digest.drained(MAX_HASH_BACKLOG);
  }

  /**
   * Exact admission: holds `bytes` of the upload's staging cap for this write, checked and
   * taken in one step with every other write's (`StagingStore.reserve`), then the same bytes on
   * the tenant's budget and on the global one, when configured (`StagingStore.reserveBudget`,
   * each one step in its own slot). Refused with UPLOAD_STAGING_CAP, TENANT_STAGING_BUDGET or
   * STAGING_BUDGET when they do not fit; a refusal gives back what the earlier steps took. The
   * reservations are leased and renewed while the bytes stream in, become staged bytes at the
   * commit, and are dropped by {@link abort}.
   */
  async reserve(bytes: number): Promise<void> {
    const d = this.#d;
    const write = this.#write;
    if (!write) return;
    const { uploadId, chunkNumber } = this.#header;
    const cap = d.limits.maxStagedBytesPerUpload;
    const reply = await d.staging.reserve(uploadId, write.writeId, {
      chunk: chunkNumber,
      bytes,
      cap,
      leaseMs: d.limits.reservationLeaseMs,
      ...(this.#budgets.length > 0 ? { budgets: this.#marks() } : {}),
    });
    switch (reply.result) {
      case 'ok':
        this.#reserved = bytes;
        this.#holds = true;
        this.#renewal ??= setInterval(() => this.#renew(), d.limits.reservationLeaseMs / 3).unref();
        break;
      case 'missing':
      case 'lapsed':
        throw new NotFoundError('UPLOAD_NOT_FOUND', `upload ${uploadId} not found: it may have expired`);
      case 'status':
        requireOpen({ ...this.#meta, status: reply.status as UploadMeta['status'] });
        throw new FailedPreconditionError('UPLOAD_FAILED', `upload ${uploadId} is ${reply.status}`);
      case 'full': {
        d.metrics.refused.inc({ code: 'UPLOAD_STAGING_CAP' });
        const { gap } = reply;
        throw new ResourceExhaustedError(
          'UPLOAD_STAGING_CAP',
          `upload ${uploadId} has ${reply.stagedBytes} bytes staged and not yet stored, and ${reply.reservedBytes} ` +
            `more on their way in; chunk ${chunkNumber} (${bytes} bytes) would pass the cap of ${cap}: ` +
            'retry once earlier chunks are stored' +
            (gap.chunksAfter
              ? `, or send chunk ${gap.chunk} (the first one missing), which is always taken`
              : ''),
          { retryAfterMs: d.limits.retryPushbackMs },
        );
      }
    }
    for (const { budget, limit } of this.#budgets) {
      const taken = await d.staging.reserveBudget(budget, write.writeId, {
        bytes,
        limit,
        leaseMs: d.limits.reservationLeaseMs,
      });
      if (taken.result === 'ok') {
        if (!this.#heldBudgets.includes(budget)) this.#heldBudgets.push(budget);
        continue;
      }
      // The chunk is refused whole: what the upload and the earlier budgets hold goes back now.
      await this.#release();
      throw this.#budgetRefusal(budget, limit, bytes, taken);
    }
  }

  /** Which budgets count the upload, marked on it with its reservation. */
  #marks(): BudgetMarks {
    return {
      tenant: this.#budgets.some((b) => b.budget.kind === 'tenant'),
      global: this.#budgets.some((b) => b.budget.kind === 'global'),
    };
  }

  #budgetRefusal(
    budget: Budget,
    limit: number,
    bytes: number,
    reply: BudgetReserveResult,
  ): ResourceExhaustedError {
    const d = this.#d;
    const { uploadId, chunkNumber } = this.#header;
    const chunk = `chunk ${chunkNumber} of upload ${uploadId} (${bytes} bytes)`;
    const options = { retryAfterMs: d.limits.retryPushbackMs };
    if (budget.kind === 'tenant') {
      d.metrics.refused.inc({ code: 'TENANT_STAGING_BUDGET' });
      const held =
        reply.result === 'full'
          ? `your tenant's uploads have ${reply.stagedBytes} bytes staged and not yet stored, and ` +
            `${reply.reservedBytes} more on their way in; `
          : '';
      return new ResourceExhaustedError(
        'TENANT_STAGING_BUDGET',
        `${held}${chunk} would pass your tenant's budget of ${limit} staged bytes (maxStagedBytes in the ` +
          'tenants file): retry after the pushback delay, once earlier chunks are stored; send each ' +
          "upload's chunks in order so they can be stored and released, or ask for a larger maxStagedBytes",
        options,
      );
    }
    d.metrics.refused.inc({ code: 'STAGING_BUDGET' });
    return new ResourceExhaustedError(
      'STAGING_BUDGET',
      `staging holds all the bytes its global budget allows (SLUICE_INGEST_STAGED_BYTES_MAX, ${limit} bytes ` +
        `for every upload together); ${chunk} does not fit: retry after the pushback delay, once earlier ` +
        'chunks are stored',
      options,
    );
  }

  #renew(): void {
    const write = this.#write;
    if (!write) return;
    const leaseMs = this.#d.limits.reservationLeaseMs;
    this.#renewing = Promise.all([
      this.#d.staging.reserve(this.#meta.uploadId, write.writeId, {
        chunk: this.#header.chunkNumber,
        bytes: this.#reserved,
        leaseMs,
      }),
      ...this.#heldBudgets.map((budget) =>
        this.#d.staging.reserveBudget(budget, write.writeId, { bytes: this.#reserved, leaseMs }),
      ),
    ]).then(
      () => undefined,
      (err: unknown) => {
        // The next renewal tries again; if none gets through, the lease lapses and the
        // commit still takes the bytes (they are staged by then).
        this.#d.logger.warn({ err, upload_id: this.#meta.uploadId }, 'could not renew a staging reservation');
      },
    );
  }

  /** Stops renewing, and waits for a renewal under way. */
  async #stopRenewal(): Promise<void> {
    clearInterval(this.#renewal);
    this.#renewal = undefined;
    await this.#renewing;
  }

  /** Back-pressure while a chunk streams in: each segment is refused once staging is full. */
  #admitSegment(): void {
    if (!this.#d.stagingFull(this.#meta.uploadId)) return;
    this.#d.metrics.refused.inc({ code: 'STAGING_FULL' });
    throw new ResourceExhaustedError(
      'STAGING_FULL',
      'staging went above its high watermark while this chunk streamed in; retry after the pushback delay',
      { retryAfterMs: this.#d.limits.retryPushbackMs },
    );
  }

  /** Verifies, records and announces the chunk, within its span (which it ends). */
  async finish(): Promise<ChunkAck> {
    try {
      const ack = await withSpan(this.#span, () => this.#finish());
      this.#span.setAttribute('sluice.duplicate', ack.duplicate);
      return ack;
    } catch (err) {
      failSpan(this.#span, err);
      throw err;
    } finally {
      this.#endSpan();
    }
  }

  #endSpan(): void {
    if (this.#spanEnded) return;
    this.#spanEnded = true;
    this.#span.end();
  }

  async #finish(): Promise<ChunkAck> {
    const d = this.#d;
    const { uploadId, chunkNumber } = this.#header;
    if (this.#header.size > 0 && this.#received !== this.#header.size) {
      throw new InvalidArgumentError(
        `chunk ${chunkNumber} carried ${this.#received} bytes; its header declared ${this.#header.size}`,
      );
    }
    const stages = new StageClock(d.metrics);
    const sums = (await this.#digest.digest()) as ChunkChecksums<'sha256' | 'crc64nvme'> & {
      crc32c?: number;
      crc32?: number;
    };
    const sha256 = sums.sha256.toString('hex');
    const expected = this.#expected;
    const mismatch =
      expected.sha256 && expected.sha256 !== sha256
        ? `SHA-256 ${sha256}, not the ${expected.sha256}`
        : expected.crc32c !== undefined && expected.crc32c !== sums.crc32c
          ? `CRC32C ${crc32cToBase64(sums.crc32c ?? 0)}, not the ${crc32cToBase64(expected.crc32c)}`
          : undefined;
    if (mismatch) {
      d.metrics.refused.inc({ code: 'CHECKSUM_MISMATCH' });
      throw new InvalidArgumentError(
        `chunk ${chunkNumber} of upload ${uploadId} arrived with ${mismatch} sent with it: ` +
          'nothing was stored; send the chunk again',
        { code: 'CHECKSUM_MISMATCH' },
      );
    }
    const existing = this.#existing;
    if (existing && !this.#header.force) {
      if (existing.sha256 !== sha256 || existing.size !== sums.size) throw conflict(this.#meta, chunkNumber);
      await this.#drop();
      await this.#announce(existing);
      d.metrics.chunks.inc({ outcome: 'duplicate' });
      return { chunkNumber, size: existing.size, sha256, duplicate: true };
    }
    stages.lap('hashed');
    if (existing && existing.size !== sums.size) throw sizeChange(this.#meta, existing, sums.size);
    const write = this.#write;
    if (!write)
      throw new InternalError(`chunk ${chunkNumber} of upload ${uploadId} was received without staging`);
    await write.staged();
    stages.lap('staged');
    await this.#stopRenewal();
    const { committed, record } = await write.commit(
      {
        size: sums.size,
        sha256,
        crc64nvme: sums.crc64nvme.toString(),
        // Recorded for the drives that store it; one the client sent only to be checked is not.
        crc32c: this.#meta.destination.checksumMode === 'crc32c' ? (sums.crc32c ?? 0) : 0,
        crc32: sums.crc32 ?? 0,
        generation: existing ? existing.generation + 1 : 0,
      },
      existing?.writeId ?? '',
    );
    stages.lap('committed');
    switch (committed.result) {
      case 'ok':
        await this.#settle(committed.staged);
        break;
      case 'missing':
        await this.#drop();
        throw new NotFoundError(
          'UPLOAD_NOT_FOUND',
          `upload ${uploadId} expired while chunk ${chunkNumber} was being staged`,
        );
      case 'status':
        await this.#drop();
        requireOpen({ ...this.#meta, status: committed.status as UploadMeta['status'] });
        throw new FailedPreconditionError('UPLOAD_FAILED', `upload ${uploadId} is ${committed.status}`);
      case 'raced': {
        // Another call staged this chunk number first; ours is a duplicate or a conflict.
        await this.#drop();
        const winner = committed.current;
        if (winner && winner.sha256 === sha256 && !this.#header.force) {
          await this.#announce(winner);
          return { chunkNumber, size: winner.size, sha256, duplicate: true };
        }
        throw conflict(this.#meta, chunkNumber);
      }
    }
    await this.#announce(record);
    stages.lap('announced');
    d.metrics.chunks.inc({ outcome: existing ? 'replaced' : 'staged' });
    d.metrics.bytes.inc(record.size);
    return { chunkNumber, size: record.size, sha256, duplicate: false };
  }

  /** Emits the chunk's event unless it is known durable already, then notes that it is. */
  async #announce(record: ChunkRecord): Promise<void> {
    if (record.emitted) return;
    if (!this.#meta.emitted.initiated) {
      // The upload's first event never became durable (a crash after staging it): it goes first.
      await this.#d.events.produce(uploadInitiated(this.#meta));
      await this.#d.staging.markEmitted(this.#meta.uploadId, 'initiated');
    }
    const { prefix } = this.#d.staging.segmentsOf(this.#meta.uploadId, record);
    await this.#d.events.produce(chunkUploaded(this.#meta, record, prefix));
    await this.#d.staging.markChunkEmitted(this.#meta.uploadId, record.chunk, record.writeId);
  }

  async abort(): Promise<void> {
    this.#endSpan();
    await this.#drop();
  }

  /**
   * Gives the budgets the upload's figure after the commit, which drops this write's
   * reservations there. A failure leaves the figure stale until the upload's next commit or
   * release (the reservations hold the bytes until their lease ends): the chunk is staged, and
   * is acknowledged all the same.
   */
  async #settle(staged: StagedFigure): Promise<void> {
    const write = this.#write;
    if (!write || this.#budgets.length === 0) return;
    this.#heldBudgets = [];
    await Promise.all(
      this.#budgets.map(({ budget }) =>
        this.#d.staging
          .settleBudget(budget, this.#meta.uploadId, staged, write.writeId)
          .catch((err: unknown) => {
            this.#d.logger.warn(
              { err, upload_id: this.#meta.uploadId, budget: budget.kind },
              'could not set an upload’s staged bytes in a staging budget',
            );
          }),
      ),
    );
  }

  /** Drops this write's reservations: the upload's, then the budgets'. */
  async #release(): Promise<void> {
    const write = this.#write;
    if (!write) return;
    const uploadId = this.#meta.uploadId;
    // Their leases end them anyway.
    const warn = (err: unknown) =>
      this.#d.logger.warn({ err, upload_id: uploadId }, 'could not release a staging reservation');
    if (this.#holds) {
      this.#holds = false;
      await this.#d.staging.releaseReservation(uploadId, write.writeId).catch(warn);
    }
    const held = this.#heldBudgets;
    this.#heldBudgets = [];
    await Promise.all(held.map((budget) => this.#d.staging.releaseBudget(budget, write.writeId).catch(warn)));
  }

  /** Drops what this attempt staged and reserved. */
  async #drop(): Promise<void> {
    this.#digest.cancel();
    await this.#stopRenewal();
    await this.#release();
    await this.#write?.abort().catch((err: unknown) => {
      // They expire anyway; nothing refers to them.
      this.#d.logger.warn({ err, upload_id: this.#meta.uploadId }, 'could not delete abandoned segments');
    });
  }
}

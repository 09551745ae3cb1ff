/**
 * Ingest, as far as the part-writer can tell: chunks staged in Redis exactly as ingest stages
 * them (segments under a fresh write id, then the chunk record, compare-and-set on the write id)
 * and the `intake.chunks` events ingest would emit for them, produced when the test says.
 */
import { createHash, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { crc32, crc32c, crc64nvme } from '@sluice/checksums';
import { checksumModeToWire, type ChecksumMode, type ChunkEvent } from '@sluice/proto';
import type { ChunkRecord, UploadMeta } from '@sluice/staging';
import { scanKeys, serviceUrl } from '@sluice/testing';
import { MiB, testChecksumMode, type Harness } from './harness.ts';

/** How a simulated upload is set up. */
export interface UploadOptions {
  readonly drive?: string;
  readonly checksumMode?: ChecksumMode;
  readonly partSize?: number;
  readonly fixedChunkSize?: number;
  readonly bucket?: string;
}

/** Ingest, as far as the part-writer can tell: Redis staging plus `intake.chunks` events. */
export class SimulatedUpload {
  readonly h: Harness;
  readonly meta: UploadMeta;
  readonly events: ChunkEvent[] = [];
  readonly #writes = new Map<number, ChunkRecord>();

  private constructor(h: Harness, meta: UploadMeta) {
    this.h = h;
    this.meta = meta;
  }

  get uploadId(): string {
    return this.meta.uploadId;
  }

  static async create(h: Harness, options: UploadOptions = {}): Promise<SimulatedUpload> {
    const uploadId = randomUUID();
    const { meta } = await h.staging.createUpload({
      uploadId,
      tenant: 't',
      drive: options.drive ?? 'd',
      nodeId: randomUUID(),
      filename: 'file.bin',
      mimeType: 'application/octet-stream',
      metadata: { test: 'yes' },
      sizeHint: 0,
      fixedChunkSize: options.fixedChunkSize ?? 0,
      clientRequestId: '',
      traceparent: '',
      destination: {
        endpoint: serviceUrl('s3'),
        region: 'us-east-1',
        bucket: options.bucket ?? h.bucket,
        key: `t/d/${uploadId}`,
        checksumMode: testChecksumMode(options.checksumMode ?? 'crc64nvme'),
        partSizePolicy: { kind: 'fixed', partSize: options.partSize ?? 5 * MiB },
      },
    });
    const upload = new SimulatedUpload(h, meta);
    const d = meta.destination;
    upload.events.push(
      upload.#envelope(`${uploadId}.initiated`, {
        $case: 'uploadInitiated',
        value: {
          destination: {
            endpoint: d.endpoint,
            bucket: d.bucket,
            key: d.key,
            region: d.region,
            checksumMode: checksumModeToWire(d.checksumMode),
            partSizePolicy: { kind: 1, partSize: BigInt(d.partSizePolicy.partSize) },
          },
          filename: meta.filename,
          mimeType: meta.mimeType,
          metadata: { ...meta.metadata },
          sizeHint: 0n,
          fixedChunkSize: BigInt(meta.fixedChunkSize),
          clientRequestId: '',
        },
      }),
    );
    return upload;
  }

  /** Stages chunk n (a replacement when it exists) and queues its ChunkUploaded event. */
  async stage(chunk: number, bytes: Buffer): Promise<ChunkRecord> {
    const { staging } = this.h;
    const previous = this.#writes.get(chunk);
    const write = staging.openChunkWrite(this.uploadId, chunk);
    await write.write(bytes);
    const mode = this.meta.destination.checksumMode;
    const { committed, record } = await write.commit(
      {
        size: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        crc64nvme: crc64nvme(bytes).toString(),
        crc32c: mode === 'crc32c' ? crc32c(bytes) : 0,
        crc32: mode === 'crc32' ? crc32(bytes) : 0,
        generation: previous ? previous.generation + 1 : 0,
      },
      previous?.writeId ?? '',
    );
    const { writeId, segmentCount } = record;
    const prefix = write.prefix;
    if (committed.result !== 'ok')
      throw new Error(`staging chunk ${chunk} failed: ${JSON.stringify(committed)}`);
    this.#writes.set(chunk, record);
    this.events.push(
      this.#envelope(`${this.uploadId}.chunk.${chunk}.${writeId}`, {
        $case: 'chunkUploaded',
        value: {
          chunkNumber: chunk,
          size: BigInt(bytes.length),
          ...(this.meta.fixedChunkSize > 0 ? { byteOffset: BigInt(chunk * this.meta.fixedChunkSize) } : {}),
          sha256: Buffer.from(record.sha256, 'hex'),
          crc64nvme: BigInt(record.crc64nvme),
          crc32c: record.crc32c,
          crc32: record.crc32,
          segmentKeyPrefix: prefix,
          segmentCount,
          segmentSize: record.segmentSize,
          generation: record.generation,
          replaced: record.generation > 0,
        },
      }),
    );
    return record;
  }

  /** Stages `file` cut at `sizes`. */
  async stageAll(file: Buffer, sizes: readonly number[]): Promise<void> {
    let offset = 0;
    for (const [n, size] of sizes.entries()) {
      await this.stage(n, file.subarray(offset, offset + size));
      offset += size;
    }
  }

  async seal(totalChunks: number, file?: Buffer): Promise<void> {
    const sha = file ? createHash('sha256').update(file).digest('hex') : '';
    const sealed = await this.h.staging.seal(this.uploadId, totalChunks, sha);
    if (sealed.result !== 'ok' && sealed.result !== 'same')
      throw new Error(`seal failed: ${JSON.stringify(sealed)}`);
    this.events.push(
      this.#envelope(`${this.uploadId}.sealed`, {
        $case: 'uploadSealed',
        value: { totalChunks, sha256: Buffer.from(sha, 'hex') },
      }),
    );
  }

  async abort(reason: string): Promise<void> {
    await this.h.staging.abort(this.uploadId, reason);
    this.events.push(
      this.#envelope(`${this.uploadId}.abort`, { $case: 'uploadAbortRequested', value: { reason } }),
    );
  }

  /** Produces the queued events (and forgets them), in order or as given. */
  async send(events: readonly ChunkEvent[] = this.events.splice(0)): Promise<void> {
    const producer = this.h.backbone.producer('intake.chunks');
    await Promise.all(events.map((e) => producer.produce(e)));
  }

  /** Produces the queued events shuffled, some of them twice. */
  async sendShuffled(random: () => number = Math.random): Promise<void> {
    const events = this.events.splice(0);
    const repeated = events.filter(() => random() < 0.3);
    const all = [...events, ...repeated];
    for (let i = all.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [all[i], all[j]] = [all[j]!, all[i]!];
    }
    await this.send(all);
  }

  /** Segment keys of the upload still in Redis. */
  async segmentKeys(): Promise<string[]> {
    return scanKeys(this.h.redis, `${this.h.namespace}:{${this.uploadId}}:c:*`);
  }

  #envelope(eventId: string, event: NonNullable<ChunkEvent['event']>): ChunkEvent {
    const m = this.meta;
    return {
      eventId,
      uploadId: m.uploadId,
      nodeId: m.nodeId,
      tenant: m.tenant,
      drive: m.drive,
      occurredAt: new Date(),
      event,
    };
  }
}

/** How {@link trickle} feeds an upload. */
export interface TrickleOptions {
  /**
   * Stage no more while the upload has this many bytes staged (ingest's per-upload cap). Bytes
   * stay staged until every part holding them is stored, so the cap must exceed a part plus two of
   * the largest chunks, or the upload waits for bytes that wait for room.
   */
  readonly capBytes: number;
  /** Events sent together, shuffled and some repeated. @default 8 */
  readonly window?: number;
  /** Pause between windows, to stretch the upload over time. @default 0 */
  readonly pauseMs?: number;
}

/**
 * Feeds an upload as a client and ingest would over time: chunk `n` (from `chunk(n)`) is staged
 * once the part-writer has released enough of the earlier ones, and the events go out in small
 * shuffled windows with repeats; the upload is sealed after the last chunk.
 */
export async function trickle(
  upload: SimulatedUpload,
  count: number,
  chunk: (n: number) => Buffer,
  options: TrickleOptions,
): Promise<void> {
  const window = options.window ?? 8;
  const staged = async (): Promise<number> =>
    (await upload.h.staging.getUpload(upload.uploadId))!.stagedBytes;
  for (let n = 0; n < count; n++) {
    const bytes = chunk(n);
    const deadline = Date.now() + 300_000;
    while ((await staged()) + bytes.length > options.capBytes && (await staged()) > 0) {
      // Bytes whose events were not sent are never released: send them before waiting.
      if (upload.events.length > 0) await upload.sendShuffled();
      if (Date.now() > deadline) throw new Error(`chunk ${n} of ${upload.uploadId} found no room for 300 s`);
      await sleep(20);
    }
    await upload.stage(n, bytes);
    if (upload.events.length >= window) {
      await upload.sendShuffled();
      if (options.pauseMs) await sleep(options.pauseMs);
    }
  }
  await upload.seal(count);
  await upload.sendShuffled();
}

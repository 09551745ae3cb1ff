/**
 * Uploads one in-memory file to a running Sluice stack over gRPC, the way @sluice/client does:
 * InitiateUpload with a fixed chunk size, UploadChunk calls in parallel on the client's chunk
 * channel (gRPC on node:http2, no copy of the chunk), CompleteUpload, then
 * wait until the object exists in S3 (HeadObject, on `s3`: the bench's own direct client) and
 * until UploadCompleted is announced on `intake.uploads` (read by the bench, see OutcomeWatch).
 *
 * Closed loop by default (each of C workers sends its next chunk when the last is acked). With
 * `ratePerSecond`, open loop: chunk i is due at start + i/rate whatever the acks do, and its
 * latency counts from when it was due, so a stalled server cannot hide its own queueing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { performance } from 'node:perf_hooks';
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import {
  CompleteUploadRequest,
  InitiateUploadRequest,
  UploadChunkRequest,
  type InitiateUploadResponse,
  type IntakeServiceClient,
} from '@sluice/proto';
import { crc32c as crc32cOf, crc32cToBase64 } from '@sluice/checksums';
import type { ChunkChannel } from '@sluice/client';
import type { LatencyHistogram } from './latency.ts';
import type { OutcomeWatch } from './outcome-watch.ts';

/** What one upload took. */
export interface SluiceUploadTiming {
  readonly bytes: number;
  /** From the first chunk sent to the last chunk acknowledged. */
  readonly ingestSeconds: number;
  /** From the first chunk sent to CompleteUpload answered: when the client is done. */
  readonly sealSeconds: number;
  /** From the first chunk sent to the object visible in S3. */
  readonly e2eSeconds: number;
  /** From the first chunk sent to the upload COMPLETED (its UploadCompleted announced). */
  readonly completedSeconds: number;
  /** Chunk calls refused with back-pressure and sent again. */
  readonly retries: number;
  /**
   * The client's CPU seconds from before it hashed the file to CompleteUpload answered: its whole
   * job. What the bench spends after that watching for the object and the outcome is not counted.
   */
  readonly clientCpuSeconds: number;
  /** Where the object landed (the server picks the key). */
  readonly bucket: string;
  readonly key: string;
}

/** How to upload. */
export interface SluiceUploadOptions {
  readonly client: IntakeServiceClient;
  /** Where chunks go: the transport @sluice/client sends unary chunks on. */
  readonly chunks: ChunkChannel;
  readonly apiKey: string;
  readonly drive: string;
  readonly s3: S3Client;
  readonly data: Buffer;
  readonly chunkSize: number;
  readonly concurrency: number;
  readonly acks: LatencyHistogram;
  /** The stack's `intake.uploads`, followed by the bench. */
  readonly outcomes: OutcomeWatch;
  /** Open loop: chunks per second. @default undefined (closed loop) */
  readonly ratePerSecond?: number;
  /** @default 300_000 */
  readonly timeoutMs?: number;
}

const RETRIABLE = new Set([status.RESOURCE_EXHAUSTED, status.UNAVAILABLE]);

function call<Req, Res>(
  fn: (req: Req, md: Metadata, cb: (err: ServiceError | null, res?: Res) => void) => unknown,
  req: Req,
  md: Metadata,
): Promise<Res> {
  return new Promise((resolve, reject) =>
    fn(req, md, (err, res) =>
      err ? reject(err) : res === undefined ? reject(new Error('empty reply')) : resolve(res),
    ),
  );
}

/** Uploads `data` and resolves once the object is in S3. */
export async function uploadToSluice(o: SluiceUploadOptions): Promise<SluiceUploadTiming> {
  const md = new Metadata();
  md.set('authorization', `Bearer ${o.apiKey}`);
  const total = Math.max(1, Math.ceil(o.data.length / o.chunkSize));
  const cpuAtStart = process.cpuUsage();
  const init = await call<InitiateUploadRequest, InitiateUploadResponse>(
    o.client.initiateUpload.bind(o.client),
    InitiateUploadRequest.fromPartial({
      drive: o.drive,
      filename: 'bench.bin',
      sizeHint: BigInt(o.data.length),
      fixedChunkSize: BigInt(o.chunkSize),
    }),
    md,
  );
  let retries = 0;
  const sendChunk = async (n: number, due: number): Promise<void> => {
    const data = o.data.subarray(n * o.chunkSize, Math.min(o.data.length, (n + 1) * o.chunkSize));
    const crc32c = crc32cToBase64(crc32cOf(data));
    for (;;) {
      try {
        await call(
          (req: UploadChunkRequest, meta: Metadata, cb: Parameters<ChunkChannel['uploadChunk']>[3]) =>
            o.chunks.uploadChunk(req, meta, {}, cb),
          // Each chunk with its CRC32C and no whole-file SHA-256, as @sluice/client sends by default.
          UploadChunkRequest.fromPartial({ uploadId: init.uploadId, chunkNumber: n, data, crc32c }),
          md,
        );
        o.acks.record(performance.now() - due);
        return;
      } catch (err) {
        const e = err as ServiceError;
        if (!RETRIABLE.has(e.code)) throw err;
        retries++;
        const hint = Number(e.metadata?.get('grpc-retry-pushback-ms')[0] ?? 200);
        await sleep(hint * (0.5 + Math.random()));
      }
    }
  };
  const t0 = performance.now();
  const t0Wall = Date.now();
  if (o.ratePerSecond === undefined) {
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(o.concurrency, total) }, async () => {
        while (next < total) {
          const n = next++;
          await sendChunk(n, performance.now());
        }
      }),
    );
  } else {
    const interval = 1000 / o.ratePerSecond;
    const pending: Promise<void>[] = [];
    for (let n = 0; n < total; n++) {
      const due = t0 + n * interval;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      pending.push(sendChunk(n, due));
    }
    await Promise.all(pending);
  }
  const ingestSeconds = (performance.now() - t0) / 1000;
  await call(
    o.client.completeUpload.bind(o.client),
    CompleteUploadRequest.fromPartial({ uploadId: init.uploadId, totalChunks: total }),
    md,
  );
  const sealSeconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  const deadline = Date.now() + (o.timeoutMs ?? 300_000);
  const late = (what: string): Error =>
    new Error(`upload ${init.uploadId} ${what} in time (is every app running?)`);
  // Both ends watched at once: the object appears at CompleteMultipartUpload, the outcome is
  // announced after the assembler has verified it.
  const landed = (async (): Promise<number> => {
    for (;;) {
      const there = await o.s3
        .send(new HeadObjectCommand({ Bucket: init.bucket, Key: init.key }))
        .then((head) => head.ContentLength === o.data.length)
        .catch(() => false);
      if (there) return (performance.now() - t0) / 1000;
      if (Date.now() > deadline) throw late(`did not land in s3://${init.bucket}/${init.key}`);
      await sleep(20);
    }
  })();
  // The outcome comes from intake.uploads, read in this process: nothing asks the apps.
  const completed = (async (): Promise<number> => {
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      o.outcomes.outcome(init.uploadId),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(late('was not announced')), Math.max(0, deadline - Date.now()));
      }),
    ]).finally(() => clearTimeout(timer));
    if (outcome.failure) throw new Error(`upload ${init.uploadId} ${outcome.failure}`);
    return (outcome.at - t0Wall) / 1000;
  })();
  const [e2eSeconds, completedSeconds] = await Promise.all([landed, completed]);
  return {
    bytes: o.data.length,
    ingestSeconds,
    sealSeconds,
    e2eSeconds,
    completedSeconds,
    retries,
    clientCpuSeconds: (cpu.user + cpu.system) / 1e6,
    bucket: init.bucket,
    key: init.key,
  };
}

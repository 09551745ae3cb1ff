import { createHash } from 'node:crypto';
import { crc32c as crc32cOf, crc32cToBase64 } from '@sluice/checksums';
import { InternalError, InvalidArgumentError, toSluiceError, type SluiceError } from '@sluice/errors';
import { UploadStatus, type UploadState } from '@sluice/proto';
import { openSource, type ChunkSource, type UploadSource } from './chunk-source.ts';
import { cancelled } from './grpc-errors.ts';
import { Limiter } from './limiter.ts';
import { ProgressTracker, type UploadProgress } from './progress.ts';
import { withRetry, type RetryNotice, type RetryOptions } from './retry.ts';
import type { SluiceClient } from './sluice-client.ts';
import { initiate, notThisSource, resume, UNRESUMABLE, type Plan } from './upload-plan.ts';
import { finalStateError, waitForUpload } from './wait.ts';

const MiB = 1024 * 1024;

/** Defaults of `UploadOptions`. */
export const UPLOAD_DEFAULTS = Object.freeze({
  chunkSize: 8 * MiB,
  concurrency: 8,
  /** Through grpc-js; on the chunk channel, the server's unary limit. */
  streamAboveBytes: MiB,
});

/** How to upload one source. Only the drive is required. */
export interface UploadOptions {
  /** A drive of the API key's tenant. */
  readonly drive: string;
  /** The file's node id (the key of its events); the server makes one when absent. */
  readonly nodeId?: string;
  /** Name of the upload. @default the file's base name; none for buffers and streams */
  readonly filename?: string;
  readonly mimeType?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  /**
   * Bytes per chunk; every chunk but the last has exactly this size. A resumed upload must use
   * the size it started with.
   * @default 8 MiB
   */
  readonly chunkSize?: number;
  /** Chunks in flight (and in memory) at once. Ignored when `limiter` is given. @default 8 */
  readonly concurrency?: number;
  /** A limiter shared with other uploads, bounding their chunks in flight together. */
  readonly limiter?: Limiter;
  /**
   * Continue this upload instead of starting one: the server says which chunks it has, and
   * only the others are sent. The source is read (and hashed) whole either way.
   */
  readonly resumeUploadId?: string;
  /**
   * What happens when `resumeUploadId` cannot be continued (it expired, was aborted or failed,
   * or holds chunks of other bytes): `restart` starts a new upload after telling
   * `onResumeRefused`; `fail` rejects with the reason.
   * @default 'fail'
   */
  readonly unresumable?: 'restart' | 'fail';
  readonly onResumeRefused?: (reason: SluiceError) => void;
  /** Wait for the final status (COMPLETED, or an error) after sealing. @default false */
  readonly wait?: boolean;
  /** Stops the upload; it can be resumed later (nothing is aborted on the server). */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: UploadProgress) => void;
  /** Called once the upload exists, before any chunk is sent: the place to persist its id. */
  readonly onStarted?: (upload: StartedUpload) => void | Promise<void>;
  readonly onRetry?: (notice: RetryNotice) => void;
  readonly retry?: RetryOptions;
  /**
   * Chunks larger than this go through UploadChunkStream in ~1 MiB frames (required above the
   * server's unary limit). On the client's default chunk channel one message costs the least, so
   * every chunk the server takes as one goes as one. Through grpc-js
   * (`chunkTransport: 'grpc-js'`), ~1 MiB frames move faster than one large message.
   * @default the server's unary limit; 1 MiB through grpc-js
   */
  readonly streamAboveBytes?: number;
  /**
   * Send each chunk's SHA-256 for the server to verify (costs a hash per byte). Every chunk
   * carries its CRC32C for the server to verify either way. @default false
   */
  readonly chunkChecksums?: boolean;
  /**
   * Compute the whole source's SHA-256 while reading it and send it at seal: the server then
   * refuses to complete unless the object it lands has that SHA-256. It costs a hash of every
   * byte (about 0.9 CPU s per GiB on a 2-core Xeon with SHA extensions, where the rest of the
   * client costs about 0.8). Without it each chunk is still checked by its CRC32C, and the
   * server computes the whole-file SHA-256 itself for UploadCompleted. @default false
   */
  readonly wholeFileSha256?: boolean;
}

/** The upload as it stands before its chunks are sent. */
export interface StartedUpload {
  readonly uploadId: string;
  readonly nodeId: string;
  readonly bucket: string;
  readonly key: string;
  readonly chunkSize: number;
  /** True when continuing an upload an earlier run started. */
  readonly resumed: boolean;
}

/** What an upload ended with. */
export interface UploadResult extends StartedUpload {
  /** Bytes of the source. */
  readonly size: number;
  /** Hex SHA-256 of the whole source, sent at seal; '' unless `wholeFileSha256` was set. */
  readonly sha256: string;
  readonly totalChunks: number;
  /** Chunks this run sent (duplicates the server already had included). */
  readonly chunksSent: number;
  /** Chunks an earlier run had staged, not sent again. */
  readonly chunksResumed: number;
  /** SEALED, or the final status when waiting (COMPLETED; anything else is thrown). */
  readonly status: UploadStatus;
  /** The last state the server reported, when waiting. */
  readonly state: UploadState | undefined;
}

/**
 * Uploads one source: initiate (or resume), send chunks in parallel with retries, each with its
 * CRC32C, seal (with the whole-file SHA-256 computed while reading, when asked), and optionally
 * wait for the final status.
 * The source is read once, in order; at most `concurrency` chunks are held at a time.
 */
export async function upload(
  client: SluiceClient,
  source: UploadSource,
  options: UploadOptions,
): Promise<UploadResult> {
  const chunkSize = options.chunkSize ?? UPLOAD_DEFAULTS.chunkSize;
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
    throw new InvalidArgumentError(`the chunk size must be a positive number of bytes, not ${chunkSize}`);
  }
  if (!options.drive) throw new InvalidArgumentError('a drive is required: name one of your drives');
  const limiter = options.limiter ?? new Limiter(options.concurrency ?? UPLOAD_DEFAULTS.concurrency);
  const chunks = await openSource(source, chunkSize);
  try {
    const progress = new ProgressTracker(chunks.size, options.onProgress);
    await client.connect(options.signal);
    let plan: Plan | undefined;
    if (options.resumeUploadId) {
      try {
        plan = await resume(client, chunks, chunkSize, options.resumeUploadId, options);
      } catch (err) {
        const reason = toSluiceError(err);
        if (options.unresumable !== 'restart' || !UNRESUMABLE.has(reason.code)) throw reason;
        options.onResumeRefused?.(reason);
      }
    }
    plan ??= await initiate(client, chunks, chunkSize, options);
    progress.update({ uploadId: plan.started.uploadId, phase: 'uploading' });
    await options.onStarted?.(plan.started);
    return await run(client, chunks, plan, limiter, progress, options);
  } finally {
    await chunks.close();
  }
}

async function run(
  client: SluiceClient,
  chunks: ChunkSource,
  plan: Plan,
  limiter: Limiter,
  progress: ProgressTracker,
  options: UploadOptions,
): Promise<UploadResult> {
  const { uploadId } = plan.started;
  // Stops every chunk in flight on the first failure, as well as on the caller's signal.
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  const unaryMax = plan.maxUnaryChunkBytes > 0 ? plan.maxUnaryChunkBytes : 4 * MiB;
  const streamAbove = Math.min(
    options.streamAboveBytes ??
      (client.chunkTransport === 'http2' ? unaryMax : UPLOAD_DEFAULTS.streamAboveBytes),
    unaryMax,
  );
  const hash = options.wholeFileSha256 ? createHash('sha256') : undefined;
  const tasks: Promise<void>[] = [];
  let failure: unknown;
  let count = 0;
  let size = 0;
  let sent = 0;
  let resumedBytes = 0;

  const send = async (n: number, data: Buffer): Promise<void> => {
    const sha256 = options.chunkChecksums ? createHash('sha256').update(data).digest('hex') : '';
    const crc32c = crc32cToBase64(crc32cOf(data));
    let heldBack = false;
    const ack = await withRetry(
      `UploadChunk ${n} of upload ${uploadId}`,
      async () => {
        let onWire = 0;
        try {
          return await client.uploadChunk(uploadId, n, data, {
            stream: data.length > streamAbove,
            sha256,
            crc32c,
            signal,
            onSent: (bytes) => {
              onWire += bytes;
              progress.add({ bytesSent: bytes });
            },
          });
        } catch (err) {
          progress.add({ bytesSent: -onWire });
          throw err;
        }
      },
      {
        retry: options.retry,
        signal,
        onRetry: (notice) => {
          if (notice.backPressure !== heldBack) {
            progress.add({ chunksHeldBack: notice.backPressure ? 1 : -1 });
            heldBack = notice.backPressure;
          }
          options.onRetry?.(notice);
        },
      },
    ).finally(() => {
      if (heldBack) progress.add({ chunksHeldBack: -1 });
    });
    if (ack.size !== data.length) {
      throw new InternalError(
        `the server acknowledged chunk ${n} of upload ${uploadId} with ${ack.size} bytes, not ${data.length}`,
      );
    }
    sent++;
    progress.acknowledged(data.length, false);
  };

  try {
    for (;;) {
      if (failure !== undefined) break;
      if (count >= plan.maxChunks) {
        throw new InvalidArgumentError(
          `upload ${uploadId} would need more than ${plan.maxChunks} chunks: use a larger chunk size`,
        );
      }
      // A sealed upload has every chunk: none is sent again, the source is only read (and hashed).
      const skip = plan.sealed !== undefined || plan.staged.numbers.has(count);
      const release = skip ? undefined : await limiter.acquire(signal);
      let data: Buffer | undefined;
      try {
        data = await chunks.next();
      } catch (err) {
        release?.();
        throw err;
      }
      if (!data) {
        release?.();
        break;
      }
      hash?.update(data);
      size += data.length;
      progress.add({ bytesRead: data.length });
      if (skip) {
        resumedBytes += data.length;
        progress.acknowledged(data.length, true);
      } else {
        const n = count;
        tasks.push(
          send(n, data)
            .catch((err: unknown) => {
              failure ??= err;
              stop.abort(err);
            })
            .finally(release),
        );
      }
      count++;
    }
  } catch (err) {
    failure ??= err;
    stop.abort(err);
  }
  await Promise.allSettled(tasks);
  if (options.signal?.aborted) throw cancelled(options.signal, `upload ${uploadId}`);
  if (failure !== undefined) throw toSluiceError(failure);

  progress.update({ totalBytes: size });
  await chunks.finish();
  const mismatch = plan.sealed
    ? plan.sealed.totalChunks !== count
    : resumedBytes !== plan.staged.bytes || [...plan.staged.numbers].some((n) => n >= count);
  if (mismatch) throw notThisSource(uploadId, plan.started.chunkSize);
  const sha256 = hash?.digest('hex') ?? '';
  let status = plan.sealed?.status ?? UploadStatus.UPLOAD_STATUS_SEALED;
  if (!plan.sealed) {
    progress.update({ phase: 'sealing' });
    status = await withRetry(
      `CompleteUpload ${uploadId}`,
      () => client.complete(uploadId, count, sha256, options.signal),
      {
        retry: options.retry,
        signal: options.signal,
        onRetry: options.onRetry,
      },
    );
  }
  let state: UploadState | undefined;
  if (options.wait) {
    progress.update({ phase: 'waiting' });
    state = await waitForUpload(client, uploadId, {
      signal: options.signal,
      retry: options.retry,
      onRetry: options.onRetry,
      onState: (s) => progress.update({ bytesStored: Number(s.bytesStored) }),
    });
    const error = finalStateError(state);
    if (error) throw error;
    status = state.status;
  }
  progress.update({ phase: 'done' });
  return {
    ...plan.started,
    size,
    sha256,
    totalChunks: count,
    chunksSent: sent,
    chunksResumed: count - sent,
    status,
    state,
  };
}

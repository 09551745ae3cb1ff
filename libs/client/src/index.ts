/**
 * The Sluice client: upload files, buffers and streams to a Sluice server over gRPC, chunked,
 * in parallel, retried with backoff that honours the server's back-pressure, resumable, and
 * sealed with the whole-file SHA-256. The `sluice` CLI (src/cli) is built on it.
 *
 * ```ts
 * const result = await uploadFile('report.pdf', { server: '127.0.0.1:50051', apiKey, drive: 'docs' });
 * ```
 */
import { SluiceClient, type SluiceClientOptions } from './sluice-client.ts';
import type { UploadSource } from './chunk-source.ts';
import { upload, type UploadOptions, type UploadResult } from './uploader.ts';

export {
  ChunkChannel,
  type ChunkCall,
  type ChunkCallback,
  type ChunkChannelOptions,
  type ChunkChannelTls,
} from './chunk-channel.ts';
export { openSource, type ChunkSource, type UploadSource } from './chunk-source.ts';
export { ERROR_CODE_METADATA, PUSHBACK_METADATA, fromServiceError, pushbackMs } from './grpc-errors.ts';
export { Limiter } from './limiter.ts';
export type { UploadPhase, UploadProgress } from './progress.ts';
export { FileResumeStore, defaultResumeDir, type ResumeKey, type ResumeRecord } from './resume-store.ts';
export { DEFAULT_RETRY, withRetry, type RetryNotice, type RetryOptions } from './retry.ts';
export { backoffDelay } from '@sluice/retry';
export {
  DEFAULT_SERVER,
  SluiceClient,
  type ChunkAck,
  type InitiateOptions,
  type ListOptions,
  type SendChunkOptions,
  type SluiceClientOptions,
} from './sluice-client.ts';
export {
  UPLOAD_DEFAULTS,
  upload,
  type StartedUpload,
  type UploadOptions,
  type UploadResult,
} from './uploader.ts';
export { finalStateError, parseStatus, statusName, waitForUpload, type WaitOptions } from './wait.ts';
export { FINAL_STATUSES, UploadStatus, type UploadState } from '@sluice/proto';

/** `uploadFile`'s options: where the server is, and how to upload. */
export interface UploadFileOptions extends SluiceClientOptions, UploadOptions {}

/**
 * Uploads one file path, Buffer or stream with a client of its own, closed afterwards.
 * Resolves once the upload is sealed (or, with `wait`, completed); rejects with a SluiceError.
 */
export async function uploadFile(source: UploadSource, options: UploadFileOptions): Promise<UploadResult> {
  const client = new SluiceClient(options);
  try {
    return await upload(client, source, options);
  } finally {
    client.close();
  }
}

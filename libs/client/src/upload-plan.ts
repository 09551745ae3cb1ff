/**
 * What an upload will send: a new upload (InitiateUpload) sends every chunk; a resumed one
 * (GetUploadStatus) only those the server lacks, after checking that what it holds can be
 * this source cut at this chunk size.
 */
import { randomUUID } from 'node:crypto';
import { FailedPreconditionError, InvalidArgumentError, type ErrorCode } from '@sluice/errors';
import { UploadStatus } from '@sluice/proto';
import type { ChunkSource } from './chunk-source.ts';
import { withRetry } from './retry.ts';
import type { SluiceClient } from './sluice-client.ts';
import type { StartedUpload, UploadOptions } from './uploader.ts';
import { finalStateError } from './wait.ts';

/** Why an upload cannot be resumed (rather than a failure of this attempt). */
export const UNRESUMABLE: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'UPLOAD_NOT_FOUND',
  'UPLOAD_ABORTED',
  'UPLOAD_EXPIRED',
  'UPLOAD_FAILED',
  'SOURCE_CHANGED',
]);

/** What to send: all chunks, or those a resumed upload lacks. */
export interface Plan {
  readonly started: StartedUpload;
  /** Chunks the server had when the upload was resumed, and their bytes. */
  readonly staged: { readonly numbers: ReadonlySet<number>; readonly bytes: number };
  /** A resumed upload that is sealed already: nothing is sent and it is not sealed again. */
  readonly sealed: { readonly status: UploadStatus; readonly totalChunks: number } | undefined;
  readonly maxUnaryChunkBytes: number;
  readonly maxChunks: number;
}

export async function initiate(
  client: SluiceClient,
  chunks: ChunkSource,
  chunkSize: number,
  options: UploadOptions,
): Promise<Plan> {
  // One id for every attempt: a retry after a lost answer gets the same upload, not a second one.
  const clientRequestId = randomUUID();
  const res = await withRetry(
    'InitiateUpload',
    () =>
      client.initiate(
        {
          drive: options.drive,
          nodeId: options.nodeId ?? '',
          filename: options.filename ?? chunks.name ?? '',
          mimeType: options.mimeType ?? '',
          metadata: options.metadata ?? {},
          sizeHint: chunks.size ?? 0,
          fixedChunkSize: chunkSize,
          clientRequestId,
        },
        options.signal,
      ),
    { retry: options.retry, signal: options.signal, onRetry: options.onRetry },
  );
  const limits = res.limits;
  const maxChunks = limits ? limits.maxChunkNumber + 1 : Number.MAX_SAFE_INTEGER;
  const cap = Number(limits?.maxStagedBytesPerUpload ?? 0n);
  const count = chunks.size === undefined ? 0 : Math.ceil(chunks.size / chunkSize);
  let problem: string | undefined;
  if (count > maxChunks) {
    problem =
      `${chunks.size} bytes in chunks of ${chunkSize} make ${count} chunks; the server takes at most ${maxChunks}: ` +
      `use a chunk size of at least ${Math.ceil((chunks.size ?? 0) / maxChunks)} bytes`;
  } else if (cap > 0 && Math.min(chunkSize, chunks.size ?? chunkSize) > cap) {
    // One such chunk would be refused for ever: the cap counts it whole.
    problem =
      `chunks of ${chunkSize} bytes are larger than the ${cap} bytes one upload may have staged on this ` +
      `server: use a chunk size of at most ${cap} bytes`;
  }
  if (problem) {
    // The limits come with the upload; the upload they rule out is not left behind.
    await client
      .abort(res.uploadId, 'the client cannot send it within the server limits')
      .catch(() => undefined);
    throw new InvalidArgumentError(problem);
  }
  return {
    started: {
      uploadId: res.uploadId,
      nodeId: res.nodeId,
      bucket: res.bucket,
      key: res.key,
      chunkSize,
      resumed: false,
    },
    staged: { numbers: new Set(), bytes: 0 },
    sealed: undefined,
    maxUnaryChunkBytes: Number(limits?.maxUnaryChunkBytes ?? 0n),
    maxChunks,
  };
}

export async function resume(
  client: SluiceClient,
  chunks: ChunkSource,
  chunkSize: number,
  uploadId: string,
  options: UploadOptions,
): Promise<Plan> {
  const state = await withRetry('GetUploadStatus', () => client.status(uploadId, options.signal), {
    retry: options.retry,
    signal: options.signal,
    onRetry: options.onRetry,
  });
  const refused = finalStateError(state);
  if (refused) throw refused;
  const open =
    state.status === UploadStatus.UPLOAD_STATUS_INITIATED ||
    state.status === UploadStatus.UPLOAD_STATUS_UPLOADING;
  const bytesStaged = Number(state.bytesStaged);
  if (chunks.size !== undefined) {
    // Check up front what can be checked: chunks cut from this file at this size must be
    // exactly the ones the upload holds. The whole-file SHA-256 at seal checks the bytes.
    const count = Math.ceil(chunks.size / chunkSize);
    const size = chunks.size;
    const expected = state.stagedChunks.reduce(
      (sum, n) => sum + Math.max(0, Math.min(chunkSize, size - n * chunkSize)),
      0,
    );
    const beyond = state.stagedChunks.find((n) => n >= count);
    if (open ? beyond !== undefined || expected !== bytesStaged : state.totalChunks !== count) {
      throw notThisSource(uploadId, chunkSize);
    }
  }
  return {
    started: {
      uploadId: state.uploadId,
      nodeId: state.nodeId,
      bucket: state.bucket,
      key: state.key,
      chunkSize,
      resumed: true,
    },
    staged: { numbers: new Set(open ? state.stagedChunks : []), bytes: open ? bytesStaged : 0 },
    sealed: open ? undefined : { status: state.status, totalChunks: state.totalChunks },
    maxUnaryChunkBytes: 0,
    maxChunks: Number.MAX_SAFE_INTEGER,
  };
}

export function notThisSource(uploadId: string, chunkSize: number): FailedPreconditionError {
  return new FailedPreconditionError(
    'SOURCE_CHANGED',
    `upload ${uploadId} holds chunks that do not match this source cut into chunks of ${chunkSize} bytes ` +
      '(the file changed, or another chunk size was used): start a new upload',
  );
}

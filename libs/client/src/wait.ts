import { FailedPreconditionError, UnavailableError, type SluiceError } from '@sluice/errors';
import { FINAL_STATUSES, UploadStatus, uploadStateFingerprint, type UploadState } from '@sluice/proto';
import { withRetry, type RetryNotice, type RetryOptions } from './retry.ts';
import type { SluiceClient } from './sluice-client.ts';

const NAMES: Readonly<Record<number, string>> = {
  [UploadStatus.UPLOAD_STATUS_UNSPECIFIED]: 'unknown',
  [UploadStatus.UPLOAD_STATUS_INITIATED]: 'initiated',
  [UploadStatus.UPLOAD_STATUS_UPLOADING]: 'uploading',
  [UploadStatus.UPLOAD_STATUS_SEALED]: 'sealed',
  [UploadStatus.UPLOAD_STATUS_STORED]: 'stored',
  [UploadStatus.UPLOAD_STATUS_COMPLETED]: 'completed',
  [UploadStatus.UPLOAD_STATUS_FAILED]: 'failed',
  [UploadStatus.UPLOAD_STATUS_ABORTED]: 'aborted',
  [UploadStatus.UPLOAD_STATUS_EXPIRED]: 'expired',
};

/** The lower-case name of a status (`sealed`, `completed`, …), as the CLI prints it. */
export function statusName(status: UploadStatus): string {
  return NAMES[status] ?? 'unknown';
}

/** The status named `name` (`completed` or `UPLOAD_STATUS_COMPLETED`), or undefined. */
export function parseStatus(name: string): UploadStatus | undefined {
  const n = name
    .trim()
    .toLowerCase()
    .replace(/^upload_status_/, '');
  const found = Object.entries(NAMES).find(([, v]) => v === n && n !== 'unknown');
  return found ? (Number(found[0]) as UploadStatus) : undefined;
}

/** Options of `waitForUpload`. */
export interface WaitOptions {
  readonly signal?: AbortSignal;
  /** Every state the server reports, the final one included; a repeated state is reported once. */
  readonly onState?: (state: UploadState) => void;
  readonly retry?: RetryOptions;
  readonly onRetry?: (notice: RetryNotice) => void;
}

/**
 * Follows an upload with WatchUpload until it reaches a final status and returns that state
 * (COMPLETED, FAILED, ABORTED or EXPIRED: look at `status`). A watch the network breaks is
 * opened again with backoff; it is only reading.
 */
export async function waitForUpload(
  client: SluiceClient,
  uploadId: string,
  options: WaitOptions = {},
): Promise<UploadState> {
  // A watch opened again starts with the state already seen: it is reported once.
  let seen = '';
  return withRetry(
    `WatchUpload ${uploadId}`,
    async () => {
      let last: UploadState | undefined;
      for await (const { upload, final } of client.watch(uploadId, options.signal)) {
        last = upload;
        // The server repeats an unchanged state as a heartbeat; report changes only.
        const fingerprint = uploadStateFingerprint(upload);
        if (fingerprint !== seen) options.onState?.(upload);
        seen = fingerprint;
        if (final || FINAL_STATUSES.has(upload.status)) return upload;
      }
      throw new UnavailableError(
        'SERVER_UNAVAILABLE',
        `WatchUpload ${uploadId} ended at status ${last ? statusName(last.status) : 'unknown'} before a final one; it is watched again`,
      );
    },
    { signal: options.signal, retry: options.retry, onRetry: options.onRetry },
  );
}

/**
 * The error a final state other than COMPLETED stands for, or undefined for COMPLETED (and
 * for states that are not final).
 */
export function finalStateError(state: UploadState): SluiceError | undefined {
  const why = state.errorMessage ? `: ${state.errorMessage}` : '';
  const code = state.errorCode ? ` [${state.errorCode}]` : '';
  switch (state.status) {
    case UploadStatus.UPLOAD_STATUS_FAILED:
      return new FailedPreconditionError('UPLOAD_FAILED', `upload ${state.uploadId} failed${why}${code}`, {
        details: { serverCode: state.errorCode },
      });
    case UploadStatus.UPLOAD_STATUS_ABORTED:
      return new FailedPreconditionError('UPLOAD_ABORTED', `upload ${state.uploadId} was aborted${why}`);
    case UploadStatus.UPLOAD_STATUS_EXPIRED:
      return new FailedPreconditionError(
        'UPLOAD_EXPIRED',
        `upload ${state.uploadId} expired before it was complete${why}: start it again`,
      );
    default:
      return undefined;
  }
}

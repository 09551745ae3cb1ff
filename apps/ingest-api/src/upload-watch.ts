import { setTimeout as sleep } from 'node:timers/promises';
import { NotFoundError, UnavailableError } from '@sluice/errors';
import { FINAL_STATUSES, uploadStateFingerprint, type UploadState } from '@sluice/proto';

/** How WatchUpload follows an upload. Every field has a default. */
export interface WatchTiming {
  /** How often the upload's state is read. @default 500 */
  readonly intervalMs?: number;
  /**
   * The longest time without a message: an unchanged state is sent again after it, so a
   * client can tell a quiet upload from a dead stream. @default 10000
   */
  readonly heartbeatMs?: number;
  /** How long one read may take before the watch ends UNAVAILABLE. @default 5000 */
  readonly readTimeoutMs?: number;
  /**
   * How long an upload the watch has seen may be in neither Redis nor the projection
   * before the watch ends NOT_FOUND. The gap opens when the assembler drops the staging
   * state of an ended upload before the projector has recorded that end. @default 60000
   */
  readonly gapMs?: number;
}

export const WATCH_DEFAULTS: Required<WatchTiming> = {
  intervalMs: 500,
  heartbeatMs: 10_000,
  readTimeoutMs: 5_000,
  gapMs: 60_000,
};

/** One message of the watch: the state, and whether it is the last. */
export interface WatchMessage {
  readonly upload: UploadState;
  readonly final: boolean;
}

/**
 * The states of an upload as they change, ending with the first final one. Every failure is
 * thrown, so the caller can end the stream with its status: an unknown upload at once, a read
 * that takes longer than `readTimeoutMs`, and an upload that stays missing past `gapMs`.
 * Ends quietly when `signal` fires.
 */
export async function* watchStates(
  read: () => Promise<UploadState>,
  timing: WatchTiming,
  signal: AbortSignal,
): AsyncGenerator<WatchMessage> {
  const t = { ...WATCH_DEFAULTS, ...timing };
  let last = '';
  let lastState: UploadState | undefined;
  let lastSentAt = 0;
  let missingSince: number | undefined;
  while (!signal.aborted) {
    let state: UploadState | undefined;
    try {
      state = await withTimeout(read(), t.readTimeoutMs);
      missingSince = undefined;
    } catch (err) {
      // An upload seen once and now missing is between staging and its projection.
      if (!(err instanceof NotFoundError) || lastState === undefined) throw err;
      missingSince ??= Date.now();
      if (Date.now() - missingSince >= t.gapMs) throw err;
      // The heartbeat goes on meanwhile, with the last state seen.
      if (Date.now() - lastSentAt >= t.heartbeatMs) {
        lastSentAt = Date.now();
        yield { upload: lastState, final: false };
      }
    }
    if (state) {
      lastState = state;
      const final = FINAL_STATUSES.has(state.status);
      const fingerprint = uploadStateFingerprint(state);
      if (final || fingerprint !== last || Date.now() - lastSentAt >= t.heartbeatMs) {
        last = fingerprint;
        lastSentAt = Date.now();
        yield { upload: state, final };
      }
      if (final) return;
    }
    await sleep(t.intervalMs, undefined, { signal }).catch(() => undefined);
  }
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new UnavailableError(
            'STAGING_UNAVAILABLE',
            `reading the upload's state took longer than ${ms} ms (Redis or the projection is slow): watch again`,
          ),
        ),
      ms,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

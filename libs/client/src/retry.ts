import { ResourceExhaustedError, toSluiceError, type SluiceError } from '@sluice/errors';
import { RETRY_POLICIES, backoffDelay, pause } from '@sluice/retry';
import { cancelled } from './grpc-errors.ts';

/** How calls are retried. */
export interface RetryOptions {
  /**
   * Attempts for transient failures (server unreachable, deadline passed, Redis or Kafka
   * briefly down), the first one included. Back-pressure refusals do not count.
   * @default 8 (`RETRY_POLICIES.client.attempts` in @sluice/retry)
   */
  readonly maxAttempts?: number;
  /** Backoff before the second attempt; it doubles each time. @default 250 (`RETRY_POLICIES.client.baseMs`) */
  readonly initialDelayMs?: number;
  /** Longest backoff between two attempts. @default 10_000 (`RETRY_POLICIES.client.capMs`) */
  readonly maxDelayMs?: number;
  /**
   * How long back-pressure (RESOURCE_EXHAUSTED with a retry pushback) may keep refusing one
   * call before the upload gives up. Staging drains as fast as the store takes parts, so this
   * is generous; 0 waits for ever.
   * @default 1_800_000 (30 minutes)
   */
  readonly backPressureTimeoutMs?: number;
}

/** A retry about to happen, for logs and progress displays. */
export interface RetryNotice {
  /** What is retried, e.g. `UploadChunk 7`. */
  readonly what: string;
  /** The error that made this attempt fail. */
  readonly error: SluiceError;
  /** Attempts made so far. */
  readonly attempt: number;
  /** How long the next attempt waits. */
  readonly delayMs: number;
  /** True when the server pushed back (staging full): not counted against `maxAttempts`. */
  readonly backPressure: boolean;
}

const CLIENT = RETRY_POLICIES.client;

/** The client's row of `RETRY_POLICIES` in @sluice/retry, in {@link RetryOptions} words. */
export const DEFAULT_RETRY: Required<RetryOptions> = Object.freeze({
  maxAttempts: CLIENT.attempts,
  initialDelayMs: CLIENT.baseMs,
  maxDelayMs: CLIENT.capMs,
  backPressureTimeoutMs: 1_800_000,
});

/** Waits `ms`, or rejects with a CancelledError naming `what` as soon as `signal` fires. */
async function wait(ms: number, what: string, signal?: AbortSignal): Promise<void> {
  try {
    await pause(ms, signal);
  } catch (err) {
    if (signal?.aborted) throw cancelled(signal, what);
    throw err;
  }
}

/** True for refusals that mean "later", with the server's hint of when. */
function backPressure(err: SluiceError): err is ResourceExhaustedError {
  return err instanceof ResourceExhaustedError && err.retriable;
}

/**
 * Runs `fn` until it succeeds, retrying retriable SluiceErrors with backoff. Back-pressure
 * waits at least the server's pushback and is bounded by time, not attempts; everything else
 * retriable is bounded by `maxAttempts`. Non-retriable errors and cancellation end it at once.
 */
export async function withRetry<T>(
  what: string,
  fn: (attempt: number) => Promise<T>,
  options: {
    readonly retry?: RetryOptions;
    readonly signal?: AbortSignal;
    readonly onRetry?: (notice: RetryNotice) => void;
    readonly random?: () => number;
  } = {},
): Promise<T> {
  const retry = { ...DEFAULT_RETRY, ...options.retry };
  const random = options.random ? { random: options.random } : {};
  let failures = 0;
  let pressures = 0;
  let pressedSince: number | undefined;
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) throw cancelled(options.signal, what);
    try {
      return await fn(attempt);
    } catch (err) {
      const error = toSluiceError(err);
      if (options.signal?.aborted) throw cancelled(options.signal, what);
      if (!error.retriable) throw error;
      const pressed = backPressure(error);
      let delayMs: number;
      if (pressed) {
        pressedSince ??= Date.now();
        if (retry.backPressureTimeoutMs > 0 && Date.now() - pressedSince > retry.backPressureTimeoutMs) {
          throw new ResourceExhaustedError(
            error.code as ConstructorParameters<typeof ResourceExhaustedError>[0],
            `${what}: the server kept refusing for ${Math.round(retry.backPressureTimeoutMs / 1000)} s ` +
              `(${error.message}); the upload can be resumed once the server has room`,
            { cause: error, retriable: false },
          );
        }
        pressures++;
        // Capacity comes back as parts are stored, not on a schedule: grow the wait a little
        // (a crowd of refused chunks spreads out) but stay close to what the server asked.
        const ceiling = Math.min(retry.maxDelayMs, Math.max(4 * error.retryAfterMs, retry.initialDelayMs));
        delayMs = backoffDelay(
          pressures,
          { baseMs: retry.initialDelayMs, capMs: ceiling, jitter: CLIENT.jitter },
          { pushbackMs: error.retryAfterMs, ...random },
        );
      } else {
        pressedSince = undefined;
        pressures = 0;
        failures++;
        if (failures >= retry.maxAttempts) throw error;
        delayMs = backoffDelay(
          failures,
          { baseMs: retry.initialDelayMs, capMs: retry.maxDelayMs, jitter: CLIENT.jitter },
          random,
        );
      }
      options.onRetry?.({ what, error, attempt, delayMs, backPressure: pressed });
      await wait(delayMs, 'waiting to retry', options.signal);
    }
  }
}

import { setTimeout as sleep } from 'node:timers/promises';

/** Retry timing: exponential with full jitter, capped. */
export interface BackoffOptions {
  /** Attempts in all, the first included. @default 5 */
  readonly maxAttempts?: number;
  /** Delay ceiling before the second attempt. @default 100 */
  readonly initialDelayMs?: number;
  /** Largest delay between attempts. @default 10000 */
  readonly maxDelayMs?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = Object.freeze({
  maxAttempts: 5,
  initialDelayMs: 100,
  maxDelayMs: 10_000,
});

/**
 * Delay before attempt `attempt + 1` (attempt counts from 1): a uniform draw from
 * [0, min(max, initial × 2^(attempt-1))], so retrying consumers spread out instead of
 * hammering a recovering service in step.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random = Math.random): number {
  const initial = options.initialDelayMs ?? DEFAULT_BACKOFF.initialDelayMs;
  const max = options.maxDelayMs ?? DEFAULT_BACKOFF.maxDelayMs;
  const ceiling = Math.min(max, initial * 2 ** Math.max(0, attempt - 1));
  return Math.round(random() * ceiling);
}

/** Waits `ms`, or rejects with the signal's reason as soon as it aborts. */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  await sleep(ms, undefined, signal ? { signal } : undefined);
}

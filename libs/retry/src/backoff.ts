import { setTimeout as sleep } from 'node:timers/promises';

/**
 * How a delay is drawn below its exponential ceiling `c`:
 * - `full`: uniform in [0, c]. Spreads a crowd of retriers widest and does the least work in
 *   all (AWS Architecture Blog, "Exponential Backoff and Jitter"); the right default for
 *   Sluice's own services, which retry among many peers against a shared store.
 * - `equal`: uniform in [c/2, c]. Never retries at once, so each retry is still a real wait;
 *   the client uses it because its retries cross a WAN to a server that just said "later",
 *   where an immediate second request is wasted, and its crowd is spread by the pushback.
 */
export type Jitter = 'full' | 'equal';

/** The timing half of a retry policy: exponential from `baseMs`, capped at `capMs`, jittered. */
export interface Backoff {
  /** Ceiling of the delay before the second attempt; it doubles for each attempt after. */
  readonly baseMs: number;
  /** Largest ceiling; the delay never exceeds it unless a server pushback asks for more. */
  readonly capMs: number;
  readonly jitter: Jitter;
}

/** What {@link backoffDelay} may be told besides the attempt and the backoff. */
export interface BackoffDelayOptions {
  /**
   * A server's "retry after" hint: a floor, never retried earlier, and the base the backoff grows
   * from when larger than `baseMs`. @default 0
   */
  readonly pushbackMs?: number;
  /** Source of uniform numbers in [0, 1), for tests. @default Math.random */
  readonly random?: () => number;
}

/**
 * Overrides of a policy, in the words the libs' options have always used (`maxAttempts`,
 * `initialDelayMs`, `maxDelayMs`). Each lib documents its defaults as a row of `RETRY_POLICIES`.
 */
export interface BackoffOptions {
  /** Attempts in all, the first included. */
  readonly maxAttempts?: number;
  /** Overrides `baseMs`: the delay ceiling before the second attempt. */
  readonly initialDelayMs?: number;
  /** Overrides `capMs`: the largest delay between attempts. */
  readonly maxDelayMs?: number;
}

/** Doubling stops here; 2^30 × any sane base is far above every cap. */
const MAX_DOUBLINGS = 30;

/**
 * Delay before attempt `attempt + 1` (`attempt` counts from 1: the attempt that just failed).
 * The ceiling is `min(capMs, base × 2^(attempt-1))` where base is `baseMs`, or the pushback when
 * larger; the delay is drawn below it by `jitter`, and never below the pushback.
 */
export function backoffDelay(attempt: number, backoff: Backoff, options: BackoffDelayOptions = {}): number {
  const pushback = Math.max(0, options.pushbackMs ?? 0);
  const random = options.random ?? Math.random;
  const base = Math.max(backoff.baseMs, pushback);
  const doublings = Math.min(Math.max(attempt - 1, 0), MAX_DOUBLINGS);
  const ceiling = Math.max(Math.min(backoff.capMs, base * 2 ** doublings), pushback);
  const drawn = backoff.jitter === 'equal' ? ceiling / 2 + (random() * ceiling) / 2 : random() * ceiling;
  return Math.round(Math.max(pushback, drawn));
}

/** Waits `ms`, or rejects with an AbortError (the signal's reason as its cause) as soon as it aborts. */
export async function pause(ms: number, signal?: AbortSignal): Promise<void> {
  await sleep(ms, undefined, signal ? { signal } : undefined);
}

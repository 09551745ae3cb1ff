/**
 * The one retry policy: {@link backoffDelay} and {@link pause} for every loop that tries again,
 * and {@link RETRY_POLICIES}, one row per layer that retries, saying how much and why.
 */
export { backoffDelay, pause } from './backoff.ts';
export type { Backoff, BackoffDelayOptions, BackoffOptions, Jitter } from './backoff.ts';
export { RETRY_POLICIES, S3_REQUESTS_PER_PART_AT_MOST, stackedAttempts, withOverrides } from './policies.ts';
export type { RetryLayer, RetryPolicy } from './policies.ts';

/**
 * @platformatic/kafka retries a failed request itself (`retries`, `retryDelay`). These are its
 * options for a row of `RETRY_POLICIES`, with the delay drawn by the shared `backoffDelay`
 * rather than the library's fixed pause, so Sluice's clients back off with jitter like every
 * other layer.
 */
import { backoffDelay, type RetryPolicy } from '@sluice/retry';

/** The `retries` and `retryDelay` client options for `policy`; `baseMs` overrides the policy's base. */
export function kafkaRetryOptions(
  policy: RetryPolicy,
  overrides: { readonly retries?: number | undefined; readonly baseMs?: number | undefined } = {},
): { retries: number; retryDelay: (client: unknown, operationId: string, attempt: number) => number } {
  const baseMs = overrides.baseMs ?? policy.baseMs;
  const backoff = { baseMs, capMs: Math.max(baseMs, policy.capMs), jitter: policy.jitter };
  return {
    retries: overrides.retries ?? policy.attempts - 1,
    // The library counts `attempt` from 1 for the first retry, as backoffDelay does.
    retryDelay: (_client, _operationId, attempt) => backoffDelay(attempt, backoff),
  };
}

export { DEFAULT_BACKOFF, backoffDelay, pause } from './backoff.ts';
export type { BackoffOptions } from './backoff.ts';

import { InternalError, ResourceExhaustedError, SluiceError, UnavailableError } from '@sluice/errors';
import type { RedisClient } from '@sluice/redis';

/** How long a caller refused by a full Redis is told to wait before trying again. */
export const OOM_PUSHBACK_MS = 1000;

/**
 * Runs Redis commands; a Redis failure becomes UnavailableError STAGING_UNAVAILABLE, which
 * callers retry, and a Redis out of memory (`maxmemory` reached under `noeviction`) becomes
 * ResourceExhaustedError STAGING_FULL with a pushback: the command was refused whole, so
 * nothing it would have written was, and nothing written before is touched. Sluice's own
 * errors thrown inside pass through unchanged.
 * @param context what was being done, for the message ("lease x")
 */
export async function stagingCall<T>(op: () => Promise<T>, context?: string): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof SluiceError) throw err;
    if (err instanceof Error && err.message.startsWith('OOM ')) {
      throw new ResourceExhaustedError(
        'STAGING_FULL',
        `Redis is out of memory${context ? ` on ${context}` : ''} (maxmemory reached); nothing was staged by ` +
          'this call: retry after the pushback delay',
        { retryAfterMs: OOM_PUSHBACK_MS, cause: err },
      );
    }
    throw new UnavailableError(
      'STAGING_UNAVAILABLE',
      `Redis failed${context ? ` on ${context}` : ''}: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

/** Runs the Lua script `redis.defineCommand` registered as `name`, through {@link stagingCall}. */
export function stagingScript(
  redis: RedisClient,
  name: string,
  args: readonly string[],
  context?: string,
): Promise<unknown> {
  const fn = (redis as unknown as Record<string, ((...a: string[]) => Promise<unknown>) | undefined>)[name];
  if (!fn) throw new InternalError(`Redis script ${name} is not defined: define it before it is run`);
  return stagingCall(() => fn.apply(redis, args as string[]), context);
}

/**
 * Redis for tests: a client closed after the test, and a key prefix whose keys are
 * deleted after the test. The local Redis never evicts (noeviction), so keys a test
 * leaves behind would stay until `npm run infra -- reset redis`.
 */
import { Redis, type RedisOptions } from 'ioredis';
import { serviceUrl } from './endpoints.ts';
import { uniqueName, type AfterHook } from './names.ts';

/** A Redis client for the configured server, disconnected after the test. */
export function redisClient(t: AfterHook, options: RedisOptions = {}): Redis {
  const redis = new Redis(serviceUrl('redis'), { maxRetriesPerRequest: 1, ...options });
  t.after(async () => {
    await redis.quit().catch(() => redis.disconnect());
  });
  return redis;
}

/** A key prefix that belongs to one test, and a client to use it with. */
export interface RedisPrefix {
  /** Ends with `:`; every key the test writes should start with it. */
  readonly prefix: string;
  readonly redis: Redis;
}

/**
 * Hands out a unique key prefix; after the test, every key starting with it is deleted
 * (found with SCAN, so a large test does not block the server) and the client is closed.
 */
export function createRedisPrefix(t: AfterHook, options: { readonly prefix?: string } = {}): RedisPrefix {
  const prefix = `${uniqueName(options.prefix ?? 'test')}:`;
  const redis = new Redis(serviceUrl('redis'), { maxRetriesPerRequest: 1 });
  t.after(async () => {
    try {
      await deleteKeys(redis, `${prefix}*`);
    } finally {
      await redis.quit().catch(() => redis.disconnect());
    }
  });
  return { prefix, redis };
}

/** Deletes every key matching a SCAN pattern. Returns how many were deleted. */
export async function deleteKeys(redis: Redis, pattern: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}

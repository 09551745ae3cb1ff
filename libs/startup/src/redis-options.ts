/**
 * How an app connects to Redis, from `redisEnv()`: `redis://` in plaintext, `rediss://` over
 * TLS, trusting the system's CAs or SLUICE_REDIS_TLS_CA, with a client certificate when
 * SLUICE_REDIS_TLS_CERT and _KEY name one. Half a configuration is refused with what to set.
 */
import { isTlsRedisUrl, printableRedisUrl } from '@sluice/redis';
import type { RedisOptions } from 'ioredis';
import { clientTlsFiles } from './tls-files.ts';

/** The Redis variables of `redisEnv()`. */
export interface RedisConfig {
  readonly SLUICE_REDIS_URL: string;
  readonly SLUICE_REDIS_TLS_CA: string;
  readonly SLUICE_REDIS_TLS_CERT: string;
  readonly SLUICE_REDIS_TLS_KEY: string;
}

/** ioredis options for the configured Redis. @throws Error naming the variable to fix */
export function redisOptions(config: RedisConfig): RedisOptions {
  const base: RedisOptions = { maxRetriesPerRequest: 2, lazyConnect: true };
  let tls: boolean;
  try {
    tls = isTlsRedisUrl(config.SLUICE_REDIS_URL);
  } catch (err) {
    throw new Error(`SLUICE_REDIS_URL: ${(err as Error).message}`, { cause: err });
  }
  const { SLUICE_REDIS_TLS_CA: ca, SLUICE_REDIS_TLS_CERT: cert, SLUICE_REDIS_TLS_KEY: key } = config;
  if (!tls) {
    if (ca || cert || key) {
      throw new Error(
        'SLUICE_REDIS_TLS_* is set but SLUICE_REDIS_URL is not a TLS URL: use rediss:// (or rediss+cluster://) for TLS',
      );
    }
    return base;
  }
  return { ...base, tls: { ...clientTlsFiles('SLUICE_REDIS', { ca, cert, key }) } };
}

/** A URL fit for a message: its password, if any, replaced. */
export function printableUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    // redis+cluster://host:port,host:port is not a WHATWG URL.
    return printableRedisUrl(url);
  }
}

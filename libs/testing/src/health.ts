/**
 * Health probes that talk each service's own protocol, so "healthy" means a real client
 * got a real answer: Redis PING, MySQL `SELECT 1` as the app user, Kafka metadata with at
 * least one broker, Apicurio's system info, S3 ListBuckets with the configured keys, and
 * Prometheus' readiness endpoint. Each probe is bounded by a timeout and never retries.
 */
import { Admin } from '@platformatic/kafka';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { Redis } from 'ioredis';
import mysql from 'mysql2/promise';
import { SERVICE_NAMES, SERVICES, type ServiceName } from '@sluice/config';
import { kafkaBrokers, serviceEndpoint, type Env } from './endpoints.ts';
import { s3Client } from './s3.ts';

/** What one probe found. */
export interface ServiceHealth {
  readonly name: ServiceName;
  readonly host: string;
  readonly port: number;
  readonly healthy: boolean;
  /** Why the probe failed, when it did. */
  readonly error?: string;
}

/** Options for a probe. */
export interface CheckOptions {
  /**
   * How long one probe may take before the service counts as down.
   * @default 3000
   */
  readonly timeoutMs?: number;
  /** Environment holding the services' variables. @default process.env */
  readonly env?: Env;
}

/**
 * Probes one service once. A service that does not answer is reported in `error`; this
 * only throws when a port or URL variable is malformed.
 */
export async function checkService(name: ServiceName, options: CheckOptions = {}): Promise<ServiceHealth> {
  const env = options.env ?? process.env;
  const timeoutMs = options.timeoutMs ?? 3000;
  const { host, port } = serviceEndpoint(name, env);
  try {
    await withTimeout(PROBES[name](env, timeoutMs), timeoutMs, `no answer within ${timeoutMs} ms`);
    return { name, host, port, healthy: true };
  } catch (error) {
    return { name, host, port, healthy: false, error: describe(error) };
  }
}

/** Probes several services at once, in the order given. */
export async function checkServices(
  names: readonly ServiceName[] = SERVICE_NAMES,
  options: CheckOptions = {},
): Promise<ServiceHealth[]> {
  return Promise.all(names.map((name) => checkService(name, options)));
}

/**
 * Throws unless every named service answers its probe; call it in a `before` hook of an
 * integration test so a missing service fails fast with the command that fixes it.
 */
export async function requireServices(
  names: readonly ServiceName[],
  options: CheckOptions = {},
): Promise<void> {
  const down = (await checkServices(names, options)).filter((health) => !health.healthy);
  if (down.length === 0) return;
  const lines = down.map(
    (h) => `service ${h.name} is not up on ${h.host}:${h.port} (${h.error ?? 'unhealthy'})`,
  );
  const named = down.some((h) => SERVICES[h.name].optional === true);
  throw new Error(
    `${lines.join('; ')}: run \`npm run infra -- up${named ? ` ${down.map((h) => h.name).join(' ')}` : ''}\``,
  );
}

type Probe = (env: Env, timeoutMs: number) => Promise<void>;

const PROBES: Record<ServiceName, Probe> = {
  async kafka(env, timeoutMs) {
    const admin = new Admin({
      clientId: 'sluice-health',
      bootstrapBrokers: kafkaBrokers(env),
      connectTimeout: timeoutMs,
      timeout: timeoutMs,
      retries: 0,
    });
    try {
      const metadata = await admin.metadata({ topics: [] });
      if (metadata.brokers.size === 0) throw new Error('the cluster reports no brokers');
    } finally {
      await admin.close().catch(() => undefined);
    }
  },

  async apicurio(env, timeoutMs) {
    const url = `${serviceEndpoint('apicurio', env).url}/system/info`;
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
    await response.body?.cancel();
  },

  async s3(env, timeoutMs) {
    const client = s3Client({ maxAttempts: 1 }, env);
    try {
      await client.send(new ListBucketsCommand({}), { abortSignal: AbortSignal.timeout(timeoutMs) });
    } finally {
      client.destroy();
    }
  },

  async redis(env, timeoutMs) {
    const redis = new Redis(serviceEndpoint('redis', env).url, {
      lazyConnect: true,
      connectTimeout: timeoutMs,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
    });
    // A refused connection is emitted as an event and the promise only says "Connection is
    // closed."; the event's error says why.
    let cause: unknown;
    redis.on('error', (error) => {
      cause ??= error;
    });
    try {
      await redis.connect();
      const reply = await redis.ping();
      if (reply !== 'PONG') throw new Error(`PING answered ${String(reply)}`);
    } catch (error) {
      throw cause ?? error;
    } finally {
      redis.disconnect();
    }
  },

  async mysql(env, timeoutMs) {
    const connection = await mysql.createConnection({
      uri: serviceEndpoint('mysql', env).url,
      connectTimeout: timeoutMs,
    });
    try {
      await connection.query('SELECT 1');
    } finally {
      connection.destroy();
    }
  },

  async prometheus(env, timeoutMs) {
    const url = `${serviceEndpoint('prometheus', env).url}/-/ready`;
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
    await response.body?.cancel();
  },

  async jaeger(env, timeoutMs) {
    const url = `${serviceEndpoint('jaeger', env).url}/api/services`;
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
    await response.body?.cancel();
  },

  async toxiproxy(env, timeoutMs) {
    const url = `${serviceEndpoint('toxiproxy', env).url}/version`;
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
    await response.body?.cancel();
  },
};

async function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms + 500);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function describe(error: unknown): string {
  if (error instanceof AggregateError && error.errors.length > 0) return describe(error.errors[0]);
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const message = error.message || error.name;
    const text = typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
    // fetch reports "fetch failed" and keeps the reason (refused, reset) in `cause`.
    return error.cause === undefined ? text : `${text} (${describe(error.cause)})`;
  }
  return String(error);
}

/**
 * Health probes that talk each service's own protocol, so "healthy" means a real client
 * got a real answer: Redis PING, MySQL and PostgreSQL `SELECT 1` as the app user, Kafka
 * metadata with at least one broker, Apicurio's system info, S3 ListBuckets with the
 * configured keys, and Prometheus' readiness endpoint. A cluster is healthy only whole: the
 * Redis Cluster with every slot served and every node up, the Kafka cluster with all its
 * brokers registered. Each probe is bounded by a timeout and never retries.
 */
import { Admin } from '@platformatic/kafka';
import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { parseRedisUrl, type RedisTarget } from '@sluice/redis';
import { Redis, type RedisOptions } from 'ioredis';
import mysql from 'mysql2/promise';
import { Client as PgClient } from 'pg';
import { REDIS_CLUSTER_MASTERS, SERVICE_NAMES, SERVICES, type ServiceName } from '@sluice/config';
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

// Every S3 server answers to the SLUICE_S3_* keys (LOCAL_DEFAULTS unless overridden), each at
// its own endpoint.
async function listBuckets(name: 's3' | 's3-moto' | 's3proxy', env: Env, timeoutMs: number): Promise<void> {
  const client = s3Client({ maxAttempts: 1, endpoint: serviceEndpoint(name, env).url }, env);
  try {
    await client.send(new ListBucketsCommand({}), { abortSignal: AbortSignal.timeout(timeoutMs) });
  } finally {
    client.destroy();
  }
}

const PROBES: Record<ServiceName, Probe> = {
  async kafka(env, timeoutMs) {
    const brokers = await kafkaBrokerCount(kafkaBrokers(env), timeoutMs);
    if (brokers === 0) throw new Error('the cluster reports no brokers');
  },

  async 'kafka-cluster'(env, timeoutMs) {
    const expected = SERVICES['kafka-cluster'].nodes ?? 1;
    const brokers = await kafkaBrokerCount(kafkaBrokers(env, 'kafka-cluster'), timeoutMs);
    if (brokers !== expected) throw new Error(`the cluster reports ${brokers} of its ${expected} brokers`);
  },

  async apicurio(env, timeoutMs) {
    const url = `${serviceEndpoint('apicurio', env).url}/system/info`;
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
    await response.body?.cancel();
  },

  s3: (env, timeoutMs) => listBuckets('s3', env, timeoutMs),
  's3-moto': (env, timeoutMs) => listBuckets('s3-moto', env, timeoutMs),
  s3proxy: (env, timeoutMs) => listBuckets('s3proxy', env, timeoutMs),

  // SLUICE_REDIS_URL may name a Redis Cluster (redis+cluster://): then its first seed must say
  // the cluster serves every slot.
  async redis(env, timeoutMs) {
    const target = parseRedisUrl(serviceEndpoint('redis', env).url);
    if (target.kind === 'cluster') {
      await withRedis(firstSeed(target), timeoutMs, async (redis) =>
        assertClusterServes(String(await redis.call('CLUSTER', 'INFO'))),
      );
      return;
    }
    await withRedis(target.url, timeoutMs, async (redis) => {
      const reply = await redis.ping();
      if (reply !== 'PONG') throw new Error(`PING answered ${String(reply)}`);
    });
  },

  async 'redis-cluster'(env, timeoutMs) {
    const { url, name } = serviceEndpoint('redis-cluster', env);
    const target = parseRedisUrl(url);
    if (target.kind !== 'cluster') {
      throw new Error(
        `${SERVICES[name].urlEnv}=${url} is not a redis+cluster:// URL of the cluster's seed nodes`,
      );
    }
    await withRedis(firstSeed(target), timeoutMs, async (redis) => {
      assertClusterServes(String(await redis.call('CLUSTER', 'INFO')));
      assertClusterWhole(String(await redis.call('CLUSTER', 'NODES')), SERVICES['redis-cluster'].nodes ?? 1);
    });
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

  async postgres(env, timeoutMs) {
    const client = new PgClient({
      connectionString: serviceEndpoint('postgres', env).url,
      connectionTimeoutMillis: timeoutMs,
      query_timeout: timeoutMs,
    });
    // A connection lost after connecting is emitted as an event; without a listener it
    // would end the process instead of failing this probe.
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
    } finally {
      await client.end().catch(() => undefined);
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

async function kafkaBrokerCount(bootstrapBrokers: string[], timeoutMs: number): Promise<number> {
  const admin = new Admin({
    clientId: 'sluice-health',
    bootstrapBrokers,
    connectTimeout: timeoutMs,
    timeout: timeoutMs,
    retries: 0,
  });
  try {
    return (await admin.metadata({ topics: [] })).brokers.size;
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/** Connection options for a cluster's first seed node. */
function firstSeed(target: Extract<RedisTarget, { kind: 'cluster' }>): RedisOptions {
  const [first] = target.seeds;
  return {
    host: first?.host,
    port: first?.port,
    username: target.username,
    password: target.password,
    ...(target.tls ? { tls: {} } : {}),
  };
}

/** Runs `work` on a Redis connection that neither retries nor queues, then disconnects. */
async function withRedis(
  target: string | RedisOptions,
  timeoutMs: number,
  work: (redis: Redis) => Promise<void>,
): Promise<void> {
  const options: RedisOptions = {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  };
  const redis =
    typeof target === 'string' ? new Redis(target, options) : new Redis({ ...target, ...options });
  // A refused connection is emitted as an event and the promise only says "Connection is
  // closed."; the event's error says why.
  let cause: unknown;
  redis.on('error', (error) => {
    cause ??= error;
  });
  try {
    await redis.connect();
    await work(redis);
  } catch (error) {
    throw cause ?? error;
  } finally {
    redis.disconnect();
  }
}

/** Throws unless CLUSTER INFO says every slot is assigned and the cluster serves them. */
function assertClusterServes(info: string): void {
  const field = (name: string): string | undefined => new RegExp(`^${name}:(\\S+)`, 'm').exec(info)?.[1];
  const state = field('cluster_state');
  const assigned = field('cluster_slots_assigned');
  if (assigned === '0') throw new Error('no slot is assigned: the cluster was never created');
  if (state !== 'ok' || assigned !== '16384') {
    throw new Error(
      `CLUSTER INFO says cluster_state:${state}, cluster_slots_assigned:${assigned} (want ok, 16384)`,
    );
  }
}

/** Throws unless CLUSTER NODES lists `nodes` nodes, none failing, REDIS_CLUSTER_MASTERS of them masters. */
function assertClusterWhole(listing: string, nodes: number): void {
  // Each line: <id> <ip:port@bus> <flags,...> <master> <ping> <pong> <epoch> <link> <slots...>
  const flags = listing
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => (line.split(' ')[2] ?? '').split(','));
  const failing = flags.filter((f) => f.includes('fail') || f.includes('fail?')).length;
  const masters = flags.filter((f) => f.includes('master')).length;
  if (flags.length !== nodes || failing > 0 || masters !== REDIS_CLUSTER_MASTERS) {
    throw new Error(
      `CLUSTER NODES lists ${flags.length} nodes, ${masters} masters, ${failing} failing ` +
        `(want ${nodes} nodes, ${REDIS_CLUSTER_MASTERS} masters, none failing)`,
    );
  }
}

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

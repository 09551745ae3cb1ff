/**
 * Redis for tests: a client closed after the test, and a key prefix whose keys are
 * deleted after the test. The local Redis never evicts (noeviction), so keys a test
 * leaves behind would stay until `npm run infra -- reset redis`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis, type RedisOptions } from 'ioredis';
import { serviceUrl } from './endpoints.ts';
import { uniqueName, type AfterHook } from './names.ts';
import { freePort } from './ports.ts';
import { killProcess } from './processes.ts';

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

/**
 * A redis-server of the test's own, for settings the shared one must not have (a tiny
 * maxmemory, an evicting policy, TLS): on a free port of 127.0.0.1, without persistence, with
 * `args` added; it accepts connections before this resolves, and is killed after the test.
 * With `tls`, the port is its TLS port and plaintext is off. Resolves with the port.
 */
export async function startRedisServer(
  t: AfterHook,
  args: readonly string[] = [],
  options: { readonly tls?: boolean } = {},
): Promise<number> {
  const port = await freePort();
  const server = await launchRedisServer(port, args, options);
  t.after(() => killProcess(server));
  return port;
}

/**
 * Starts redis-server on `port` of 127.0.0.1 without persistence, with `args` added, and
 * resolves with its process once it accepts connections. Stopping it is the caller's: a test
 * that kills it and launches it again on the same port gets an empty Redis, as after a crash
 * of one that kept nothing on disk.
 */
export async function launchRedisServer(
  port: number,
  args: readonly string[] = [],
  options: { readonly tls?: boolean } = {},
): Promise<ChildProcess> {
  const listen = options.tls ? ['--port', '0', '--tls-port', String(port)] : ['--port', String(port)];
  const server = spawn(
    'redis-server',
    [...listen, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...args],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 200; i++) {
    if (server.exitCode !== null)
      throw new Error(`redis-server ${args.join(' ')} exited with ${server.exitCode}`);
    if (await accepts(port)) return server;
    await sleep(25);
  }
  server.kill('SIGKILL');
  throw new Error(`redis-server on port ${port} did not accept connections within 5 s`);
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

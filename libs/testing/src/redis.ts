/**
 * Redis for tests: a client closed after the test, and a key prefix whose keys are
 * deleted after the test. The local Redis never evicts (noeviction), so keys a test
 * leaves behind would stay until `npm run infra -- reset redis`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectRedis, masterOf, masters, nodeName, type RedisClient } from '@sluice/redis';
import type { RedisOptions } from 'ioredis';
import { serviceUrl } from './endpoints.ts';
import { uniqueName, type AfterHook } from './names.ts';
import { freePort } from './ports.ts';
import { killProcess } from './processes.ts';

/**
 * A client of the configured Redis (`SLUICE_REDIS_URL`: one server, or a Redis Cluster as
 * `redis+cluster://…`), disconnected after the test.
 */
export function redisClient(t: AfterHook, options: RedisOptions = {}): RedisClient {
  const redis = connectRedis(serviceUrl('redis'), { maxRetriesPerRequest: 1, ...options });
  t.after(async () => {
    await redis.quit().catch(() => redis.disconnect());
  });
  return redis;
}

/** A key prefix that belongs to one test, and a client to use it with. */
export interface RedisPrefix {
  /** Ends with `:`; every key the test writes should start with it. */
  readonly prefix: string;
  readonly redis: RedisClient;
}

/**
 * Hands out a unique key prefix; after the test, every key starting with it is deleted
 * (found with SCAN, so a large test does not block the server) and the client is closed.
 */
export function createRedisPrefix(t: AfterHook, options: { readonly prefix?: string } = {}): RedisPrefix {
  const prefix = `${uniqueName(options.prefix ?? 'test')}:`;
  const redis = connectRedis(serviceUrl('redis'), { maxRetriesPerRequest: 1 });
  t.after(async () => {
    try {
      await deleteKeys(redis, `${prefix}*`);
    } finally {
      await redis.quit().catch(() => redis.disconnect());
    }
  });
  return { prefix, redis };
}

/** Every key matching a SCAN pattern, from every master of a cluster. */
export async function scanKeys(redis: RedisClient, pattern: string): Promise<string[]> {
  const keys: string[] = [];
  for (const node of masters(redis)) {
    let cursor = '0';
    do {
      const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      keys.push(...found);
    } while (cursor !== '0');
  }
  return keys;
}

/** Deletes every key matching a SCAN pattern, on every master of a cluster. Returns how many were deleted. */
export async function deleteKeys(redis: RedisClient, pattern: string): Promise<number> {
  const keys = await scanKeys(redis, pattern);
  let deleted = 0;
  // One key per command: on a cluster the keys span many slots. ioredis sends them without waiting.
  for (let i = 0; i < keys.length; i += 1000)
    for (const n of await Promise.all(keys.slice(i, i + 1000).map((key) => redis.unlink(key)))) deleted += n;
  return deleted;
}

/** The memory figures of the Redis that holds `key` (on a cluster, that key's master). */
export async function redisMemoryInfo(redis: RedisClient, key = ''): Promise<{ used: number; max: number }> {
  const node = masters(redis).find((n) => nodeName(n) === masterOf(redis, key)) ?? masters(redis)[0];
  const info = node ? await node.info('memory') : '';
  const field = (name: string): number => Number(new RegExp(`^${name}:(\\d+)`, 'm').exec(info)?.[1] ?? 0);
  return { used: field('used_memory'), max: field('maxmemory') };
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

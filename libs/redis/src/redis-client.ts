/**
 * One Redis or a Redis Cluster, from one URL (`SLUICE_REDIS_URL`):
 *
 *   redis://[user:password@]host:port[/db]            one server (rediss:// over TLS)
 *   redis+cluster://[user:password@]host:port,host:port,…
 *                                                     a Redis Cluster, given by seed nodes
 *                                                     (rediss+cluster:// over TLS); the rest
 *                                                     of the cluster is found from them
 *
 * Everything Sluice sends works on both: every multi-key script and transaction touches one
 * upload's (or one budget's) keys, which share a hash tag and so a slot (`keys.ts`). What
 * differs is what spans nodes: memory is read from every master ({@link masters}), and a key's
 * node is found from its slot ({@link masterOf}).
 */
import { createRequire } from 'node:module';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

/** The slot (0–16383) of a key, honouring its `{hash tag}`: ioredis' own (`cluster-key-slot`, untyped). */
const calculateSlot = createRequire(import.meta.url)('cluster-key-slot') as (key: string) => number;

/** A client of one Redis server or of a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/** What a Redis URL names. */
export type RedisTarget =
  | { readonly kind: 'server'; readonly url: string; readonly tls: boolean }
  | {
      readonly kind: 'cluster';
      readonly seeds: readonly { readonly host: string; readonly port: number }[];
      readonly username?: string;
      readonly password?: string;
      readonly tls: boolean;
    };

const CLUSTER_SCHEMES: Readonly<Record<string, boolean>> = {
  'redis+cluster:': false,
  'rediss+cluster:': true,
};

/**
 * Reads a Redis URL. @throws Error saying what is wrong and the form expected
 */
export function parseRedisUrl(url: string): RedisTarget {
  const scheme = /^[a-z+]+:/i.exec(url)?.[0]?.toLowerCase() ?? '';
  const clusterTls = CLUSTER_SCHEMES[scheme];
  if (clusterTls === undefined) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(
        `"${printableRedisUrl(url)}" is not a URL: use redis://host:port or redis+cluster://host:port,…`,
      );
    }
    if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
      throw new Error(
        `${parsed.protocol} is not a Redis scheme: use redis://, rediss://, redis+cluster:// or rediss+cluster://`,
      );
    }
    return { kind: 'server', url, tls: parsed.protocol === 'rediss:' };
  }
  let rest = url.slice(scheme.length).replace(/^\/\//, '').replace(/\/$/, '');
  let username: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const [user = '', pass] = rest.slice(0, at).split(/:(.*)/s);
    username = user === '' ? undefined : decodeURIComponent(user);
    password = pass === undefined ? undefined : decodeURIComponent(pass);
    rest = rest.slice(at + 1);
  }
  const seeds = rest.split(',').map((node) => {
    const match = /^(\[[0-9a-f:.]+\]|[^:/[\]]+):(\d{1,5})$/i.exec(node.trim());
    const port = Number(match?.[2]);
    if (!match?.[1] || !(port > 0 && port < 65536)) {
      throw new Error(
        `cluster seed "${node}" in ${printableRedisUrl(url)} is not host:port: ` +
          'use redis+cluster://host:port,host:port,… (one or more seed nodes)',
      );
    }
    return { host: match[1].replace(/^\[|\]$/g, ''), port };
  });
  return {
    kind: 'cluster',
    seeds,
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    tls: clusterTls,
  };
}

/** Whether a URL names a TLS connection (rediss:// or rediss+cluster://). */
export function isTlsRedisUrl(url: string): boolean {
  return parseRedisUrl(url).tls;
}

/**
 * A client for `url` with `options` (per node, on a cluster). Nothing is connected until
 * `connect()` or the first command when `options.lazyConnect` is not set.
 */
export function connectRedis(url: string, options: RedisOptions = {}): RedisClient {
  const target = parseRedisUrl(url);
  if (target.kind === 'server') return new Redis(url, options);
  const { lazyConnect, enableAutoPipelining, ...perNode } = options;
  const clusterOptions: ClusterOptions = {
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
    ...(enableAutoPipelining === undefined ? {} : { enableAutoPipelining }),
    redisOptions: {
      ...perNode,
      ...(target.username === undefined ? {} : { username: target.username }),
      ...(target.password === undefined ? {} : { password: target.password }),
    },
    // A master that fails over is replaced within the cluster's node timeout; commands wait
    // for the new owner of their slot instead of failing at once.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
    retryDelayOnTryAgain: 100,
    slotsRefreshTimeout: 2000,
    // Reads of state just written by another instance must see it: everything goes to masters.
    scaleReads: 'master',
  };
  return new Cluster(
    target.seeds.map((seed) => ({ ...seed })),
    clusterOptions,
  );
}

/** Whether the client talks to a Redis Cluster. */
export function isCluster(redis: RedisClient): redis is Cluster {
  return redis instanceof Cluster;
}

/** The masters: the server itself, or every master node the cluster knows of now. */
export function masters(redis: RedisClient): Redis[] {
  return isCluster(redis) ? redis.nodes('master') : [redis];
}

/** A node's name in messages and maps: `host:port`. */
export function nodeName(node: Redis): string {
  return `${node.options.host ?? '127.0.0.1'}:${node.options.port ?? 6379}`;
}

/**
 * The name (`host:port`) of the master holding `key` as the client last learnt the slot map;
 * the server itself on one Redis. Undefined while a cluster's slot map is not known.
 */
export function masterOf(redis: RedisClient, key: string): string | undefined {
  if (!isCluster(redis)) return nodeName(redis);
  return redis.slots[calculateSlot(key)]?.[0];
}

/** A Redis URL fit for a message: its password, if any, replaced. */
export function printableRedisUrl(url: string): string {
  return url.replace(/^([a-z+]+:\/\/[^:@/]*:)[^@]*@/i, '$1***@');
}

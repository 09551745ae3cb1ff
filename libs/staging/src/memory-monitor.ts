import type { Redis } from 'ioredis';
import { masterOf, masters, nodeName, type RedisClient } from '@sluice/redis';

/** Redis memory as `INFO memory` reports it. */
export interface RedisMemory {
  readonly used: number;
  /** 0 when Redis has no limit. */
  readonly max: number;
  readonly policy: string;
}

/** Reads used memory, the limit and the eviction policy of one server. */
export async function redisMemory(redis: Redis): Promise<RedisMemory> {
  const info = await redis.info('memory');
  const field = (name: string): string => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim() ?? '';
  return {
    used: Number(field('used_memory')),
    max: Number(field('maxmemory')),
    policy: field('maxmemory_policy'),
  };
}

/** The memory of every master (one entry on a single server), by node name (`host:port`). */
export async function mastersMemory(redis: RedisClient): Promise<Map<string, RedisMemory>> {
  const nodes = masters(redis);
  if (nodes.length === 0) throw new Error('the Redis Cluster has no master known yet');
  const figures = await Promise.all(nodes.map((node) => redisMemory(node)));
  return new Map(nodes.map((node, i) => [nodeName(node), figures[i] as RedisMemory]));
}

/** Options for {@link MemoryGate}. */
export interface MemoryGateOptions {
  readonly redis: RedisClient;
  /** Fraction of maxmemory above which new chunks are refused. @default 0.85 */
  readonly highWatermark?: number;
  /** Fraction of maxmemory below which they flow again. @default 0.7 */
  readonly lowWatermark?: number;
  /** How often memory is sampled. @default 250 */
  readonly intervalMs?: number;
}

/**
 * Decides, from a periodic sample rather than per request, whether Redis has room
 * for new chunks. Between the watermarks it keeps its last decision, so the answer
 * does not flap while memory hovers near one line.
 *
 * On a Redis Cluster every master is sampled and decided on its own: a chunk is refused
 * when the master that would hold it ({@link fullFor} its upload's key) is full, while
 * uploads whose slots live on other masters go on.
 */
export class MemoryGate {
  readonly #o: Required<MemoryGateOptions>;
  #timer: NodeJS.Timeout | undefined;
  /** The masters above the high watermark (not yet back below the low one), by node name. */
  readonly #fullNodes = new Set<string>();
  #last: RedisMemory | undefined;

  constructor(options: MemoryGateOptions) {
    this.#o = { highWatermark: 0.85, lowWatermark: 0.7, intervalMs: 250, ...options };
    if (!(this.#o.lowWatermark < this.#o.highWatermark && this.#o.highWatermark <= 1)) {
      throw new RangeError('watermarks must satisfy 0 < low < high ≤ 1');
    }
  }

  /** Samples once (so the first answers are right) and then every interval. */
  async start(): Promise<RedisMemory> {
    const first = await this.sample();
    this.#timer = setInterval(() => void this.sample().catch(() => undefined), this.#o.intervalMs);
    this.#timer.unref();
    return first;
  }

  close(): Promise<void> {
    clearInterval(this.#timer);
    return Promise.resolve();
  }

  /** Samples every master; resolves with the fullest one's figures. */
  async sample(): Promise<RedisMemory> {
    const byNode = await mastersMemory(this.#o.redis);
    let fullest: RedisMemory | undefined;
    for (const [node, m] of byNode) {
      if (m.max > 0) {
        const ratio = m.used / m.max;
        if (ratio >= this.#o.highWatermark) this.#fullNodes.add(node);
        else if (ratio <= this.#o.lowWatermark) this.#fullNodes.delete(node);
      }
      if (fullest === undefined || ratioOf(m) > ratioOf(fullest)) fullest = m;
    }
    // A node that left the cluster (failed over, removed) no longer decides anything.
    for (const node of this.#fullNodes) if (!byNode.has(node)) this.#fullNodes.delete(node);
    this.#last = fullest;
    return fullest as RedisMemory;
  }

  /** True while any master is above the high watermark (and has not yet fallen below the low one). */
  get full(): boolean {
    return this.#fullNodes.size > 0;
  }

  /**
   * Whether the master that holds `key` is full. On one Redis this is {@link full}; on a
   * cluster whose slot map is not known yet, any full master counts.
   */
  fullFor(key: string): boolean {
    if (this.#fullNodes.size === 0) return false;
    const node = masterOf(this.#o.redis, key);
    return node === undefined || this.#fullNodes.has(node);
  }

  /** The fullest master's figures at the last sample. */
  get last(): RedisMemory | undefined {
    return this.#last;
  }
}

function ratioOf(m: RedisMemory): number {
  return m.max > 0 ? m.used / m.max : 0;
}

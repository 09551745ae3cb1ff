import type { Redis } from 'ioredis';

/** Redis memory as `INFO memory` reports it. */
export interface RedisMemory {
  readonly used: number;
  /** 0 when Redis has no limit. */
  readonly max: number;
  readonly policy: string;
}

/** Reads used memory, the limit and the eviction policy. */
export async function redisMemory(redis: Redis): Promise<RedisMemory> {
  const info = await redis.info('memory');
  const field = (name: string): string => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim() ?? '';
  return {
    used: Number(field('used_memory')),
    max: Number(field('maxmemory')),
    policy: field('maxmemory_policy'),
  };
}

/** Options for {@link MemoryGate}. */
export interface MemoryGateOptions {
  readonly redis: Redis;
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
 */
export class MemoryGate {
  readonly #o: Required<MemoryGateOptions>;
  #timer: NodeJS.Timeout | undefined;
  #full = false;
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

  async sample(): Promise<RedisMemory> {
    const m = await redisMemory(this.#o.redis);
    this.#last = m;
    if (m.max > 0) {
      const ratio = m.used / m.max;
      if (ratio >= this.#o.highWatermark) this.#full = true;
      else if (ratio <= this.#o.lowWatermark) this.#full = false;
    }
    return m;
  }

  /** True while Redis is above the high watermark (and has not yet fallen below the low one). */
  get full(): boolean {
    return this.#full;
  }

  get last(): RedisMemory | undefined {
    return this.#last;
  }
}

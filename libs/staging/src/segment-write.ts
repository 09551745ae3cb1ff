import type { Socket } from 'node:net';
import { Command } from 'ioredis';
import type { RedisClient } from '@sluice/redis';

/**
 * `SET key value PX ttl` whose value goes to the socket as it is. ioredis otherwise copies
 * every command with a Buffer argument into one new buffer before writing it
 * (`Command#toWritable`): for staging that is a second copy of every byte received, and as
 * much garbage again for the collector. Here the header, the value and the trailer are
 * three writes to the socket, in order, with nothing copied.
 *
 * Only for commands sent on their own (`redis.sendCommand(cmd)`, also when ioredis replays
 * its offline queue): in a pipeline ioredis collects the commands' bytes first, and direct
 * writes would overtake them. {@link sendSegmentSet} falls back to a plain SET there.
 */
class SegmentSet extends Command {
  readonly #key: string;
  readonly #value: Buffer;
  readonly #ttl: string;

  constructor(key: string, value: Buffer, ttlMs: number) {
    const ttl = String(ttlMs);
    super('set', [key, value, 'PX', ttl], { replyEncoding: 'utf8' });
    this.#key = key;
    this.#value = value;
    this.#ttl = ttl;
  }

  override toWritable(socket: object): string | Buffer {
    const stream = socket as Socket;
    stream.write(
      `*5\r\n$3\r\nSET\r\n$${Buffer.byteLength(this.#key)}\r\n${this.#key}\r\n$${this.#value.length}\r\n`,
    );
    stream.write(this.#value);
    return `\r\n$2\r\nPX\r\n$${this.#ttl.length}\r\n${this.#ttl}\r\n`;
  }
}

/** Sets `key` to `value` with a TTL, without copying `value` (see {@link SegmentSet}). */
export async function sendSegmentSet(
  redis: RedisClient,
  key: string,
  value: Buffer,
  ttlMs: number,
): Promise<void> {
  if (redis.options.enableAutoPipelining || value.length === 0) {
    await redis.set(key, value, 'PX', ttlMs);
    return;
  }
  await redis.sendCommand(new SegmentSet(key, value, ttlMs));
}

/**
 * Batches of raw records from the three topics, read from the positions stored in MySQL
 * rather than from the group's committed offsets in Kafka.
 *
 * The consumer group only shares the partitions out between projectors; the stream runs in
 * MANUAL mode from the next offsets stored beside the rows (partitions without one start at
 * their earliest offset) and nothing is ever committed to Kafka. A partition keeps its read
 * position in the stream across rebalances, and every record read is handed on (never
 * dropped), so the position never passes a record that is not either in MySQL or on its way
 * there: a partition that comes back after another projector advanced it is read again from
 * where this one left it and the store drops what it already holds. On a rebalance the
 * positions of partitions that fell behind MySQL are moved forward to save that re-reading.
 * When the stream fails it is reopened from the stored positions, after the batch in hand
 * is written.
 */
import type { Consumer, Message, MessagesStream } from '@platformatic/kafka';
import type { PartitionPosition } from '@sluice/projection';
import { RETRY_POLICIES, backoffDelay, pause } from '@sluice/retry';
import type { Logger } from 'pino';
import { RecordBatcher } from './record-batcher.ts';

export type RawMessage = Message<Buffer, Buffer, Buffer, Buffer>;

/** Options of {@link KafkaBatchSource}. */
export interface BatchSourceOptions {
  /** A consumer of the projector's group, Buffer (no-op) deserializers. */
  readonly consumer: Consumer<Buffer, Buffer, Buffer, Buffer>;
  /** The topics' actual names. */
  readonly topics: readonly string[];
  /** The stored next offsets to read from. */
  readonly positions: () => Promise<readonly PartitionPosition[]>;
  /** Records per batch. */
  readonly maxRecords: number;
  /** How long a batch waits for more records after its first. */
  readonly maxWaitMs: number;
  readonly logger: Logger;
  /** Passed to the fetches. @default 500 */
  readonly maxWaitTime?: number;
}

/** Reads batches of records, in offset order per partition. */
export class KafkaBatchSource {
  readonly #o: BatchSourceOptions;
  readonly #log: Logger;
  #stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  #batcher: RecordBatcher<RawMessage> | undefined;
  #failures = 0;

  constructor(options: BatchSourceOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'batch-source' });
  }

  /** Joins the group and opens the stream at the stored positions. */
  async open(): Promise<void> {
    const positions = await this.#o.positions();
    const stream = await this.#o.consumer.consume({
      topics: [...this.#o.topics],
      mode: 'manual',
      fallbackMode: 'earliest',
      autocommit: false,
      maxWaitTime: this.#o.maxWaitTime ?? 500,
      // Room for the next batch while this one is written.
      highWaterMark: Math.max(1024, this.#o.maxRecords * 2),
      offsets: positions
        .filter((p) => this.#o.topics.includes(p.topic))
        .map((p) => ({ topic: p.topic, partition: p.partition, offset: p.nextOffset })),
    });
    this.#stream = stream;
    this.#batcher = new RecordBatcher(stream as AsyncIterable<RawMessage>);
    this.#o.consumer.on('consumer:group:join', this.#onJoin);
  }

  /**
   * The next batch: at least one record, or `[]` when `signal` aborted or the stream had to
   * be reopened (call again).
   */
  async next(signal: AbortSignal): Promise<RawMessage[]> {
    try {
      const batch = this.#batcher
        ? await this.#batcher.next(this.#o.maxRecords, this.#o.maxWaitMs, signal)
        : null;
      if (batch !== null) {
        this.#failures = 0;
        return batch;
      }
      if (signal.aborted) return [];
      this.#log.warn('the message stream ended; reopening it');
    } catch (err) {
      if (signal.aborted) return [];
      this.#log.warn({ err }, 'the message stream failed; reopening it from the stored positions');
    }
    await this.#reopen(signal);
    return [];
  }

  /** Closes the stream (the consumer belongs to the caller). */
  async close(): Promise<void> {
    this.#o.consumer.off('consumer:group:join', this.#onJoin);
    const stream = this.#stream;
    this.#stream = undefined;
    this.#batcher = undefined;
    await stream?.close().catch((err: unknown) => this.#log.warn({ err }, 'closing the stream failed'));
  }

  /** Drops what was read and not handed on, and reads again from the stored positions. */
  async restart(signal: AbortSignal): Promise<void> {
    this.#failures = 0;
    await this.#reopen(signal);
  }

  async #reopen(signal: AbortSignal): Promise<void> {
    await this.close();
    while (!signal.aborted) {
      this.#failures++;
      try {
        await pause(backoffDelay(this.#failures, RETRY_POLICIES.streamReopen), signal);
        await this.open();
        return;
      } catch (err) {
        if (signal.aborted) return;
        this.#log.warn({ err, failures: this.#failures }, 'reopening the message stream failed');
      }
    }
  }

  readonly #onJoin = (): void => {
    void this.#skipAhead().catch((err: unknown) =>
      this.#log.debug({ err }, 'reading positions after a rebalance failed'),
    );
  };

  /** Moves positions that MySQL is past forward: those records are projected already. */
  async #skipAhead(): Promise<void> {
    const stream = this.#stream;
    if (!stream) return;
    for (const p of await this.#o.positions()) {
      const key = `${p.topic}:${p.partition}`;
      const at = stream.offsetsToFetch.get(key);
      if (at !== undefined && at < p.nextOffset) stream.offsetsToFetch.set(key, p.nextOffset);
    }
  }
}

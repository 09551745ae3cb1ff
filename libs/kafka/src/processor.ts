import type { Consumer, ConsumerGroupJoinPayload, Message, MessagesStream } from '@platformatic/kafka';
import { toSluiceError, type SluiceError } from '@sluice/errors';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { Semaphore } from '@sluice/concurrency';
import { inSpan, SpanKind } from '@sluice/telemetry';
import {
  RETRY_POLICIES,
  backoffDelay,
  pause,
  withOverrides,
  type BackoffOptions,
  type RetryPolicy,
} from '@sluice/retry';
import type { DeadLetter, DeadLetterSink } from './dead-letter.ts';
import { KeyLanes } from './key-lanes.ts';
import { streamMetrics, type StreamMetrics } from './processor-metrics.ts';
import { PartitionTracker } from './offset-tracker.ts';
import { recordSpanAttributes, recordTraceContext } from './trace-context.ts';

type RawMessage = Message<Buffer, Buffer, Buffer, Buffer>;

/** One decoded record, as a handler sees it. */
export interface StreamRecord<V> {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  /** The record key as UTF-8 (Sluice keys by node_id); '' when the record has none. */
  readonly key: string;
  readonly value: V;
  readonly headers: ReadonlyMap<string, Buffer>;
  readonly timestamp: bigint;
  /** 1 on the first try, 2 on the first retry, and so on. */
  readonly attempt: number;
}

/** Work a handler started and that must finish before the record counts as processed. */
export interface Deferred {
  readonly done: Promise<void>;
}

/** Options for {@link StreamProcessor}. */
export interface StreamProcessorOptions<V> {
  /** Names the processor in metrics and logs. */
  readonly name: string;
  /** A consumer built with `autocommit: false`, Buffer (no-op) deserializers, and its group id. */
  readonly consumer: Consumer<Buffer, Buffer, Buffer, Buffer>;
  readonly topics: readonly string[];
  /** Turns the raw record into the handler's value; its errors are treated like the handler's. */
  readonly decode: (message: RawMessage) => V | Promise<V>;
  /**
   * Processes one record. Must be idempotent: a record can arrive more than once.
   * `signal` aborts when the partition is revoked; stop then, the record is re-delivered
   * to the partition's next owner. A `SluiceError` with `retriable: true` is retried; any other
   * error is dead-lettered at once: one rule with `toSluiceError` in @sluice/errors, which makes
   * an error Sluice did not explain (a bug) a non-retriable INTERNAL.
   *
   * Returning a {@link Deferred} releases the record's key at once (the next record of
   * the key may start) while its offset stays uncommitted until `done` settles; a
   * rejection of `done` is handled like an error of the handler.
   */
  readonly handle: (record: StreamRecord<V>, signal: AbortSignal) => Promise<void | Deferred>;
  /**
   * `key`: records of one key run one at a time, in offset order; `none`: every record
   * may run at once (for handlers that are order-independent). @default 'key'
   */
  readonly ordering?: 'key' | 'none';
  /** Handlers running at once, across all partitions. @default 16 */
  readonly concurrency?: number;
  /** Records read and not yet finished (running or queued behind their key). @default concurrency × 4 */
  readonly maxBuffered?: number;
  /**
   * Attempts and delays of a record before it is dead-lettered.
   * @default `RETRY_POLICIES.record` in @sluice/retry (10 attempts, 500 ms doubling to 30 s)
   */
  readonly backoff?: BackoffOptions;
  /** Where records that fail for good go. */
  readonly deadLetters: DeadLetterSink;
  /** Called after a record was dead-lettered, e.g. to mark its upload failed. */
  readonly onDeadLetter?: (letter: DeadLetter) => Promise<void>;
  readonly logger: Logger;
  readonly registry: Registry;
  /** How often consumer lag is measured. @default 5000 */
  readonly lagIntervalMs?: number;
  /** Passed to `consumer.consume` (session timeout, heartbeat, max wait…). */
  readonly consumeOptions?: {
    readonly sessionTimeout?: number;
    readonly heartbeatInterval?: number;
    readonly rebalanceTimeout?: number;
    readonly maxWaitTime?: number;
    readonly highWaterMark?: number;
  };
}

interface PartitionState {
  readonly tracker: PartitionTracker<RawMessage>;
  /** Aborts the partition's in-flight work when the partition is revoked. */
  readonly revoked: AbortController;
}

/**
 * Runs a handler over the records of some topics, Kafka Streams-style: records of
 * different keys concurrently, records of one key in order, everything bounded;
 * offsets committed at each partition's low watermark of finished records; retriable
 * failures retried with backoff and jitter, the rest dead-lettered while the partition
 * keeps flowing. Revoked partitions abandon their work (it is re-delivered to their new
 * owner); `close()` stops reading, lets in-flight records finish and commits them.
 */
export class StreamProcessor<V> {
  readonly name: string;
  readonly #o: StreamProcessorOptions<V>;
  readonly #log: Logger;
  readonly #metrics: StreamMetrics;
  readonly #lanes = new KeyLanes();
  readonly #retry: RetryPolicy;
  readonly #running: Semaphore;
  readonly #buffered: Semaphore;
  readonly #partitions = new Map<string, PartitionState>();
  readonly #inFlight = new Set<Promise<void>>();
  #stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  #loop: Promise<void> | undefined;
  #closing = false;

  constructor(options: StreamProcessorOptions<V>) {
    this.#o = options;
    this.name = options.name;
    this.#log = options.logger.child({ component: 'stream', processor: options.name });
    this.#metrics = streamMetrics(options.registry);
    this.#retry = withOverrides(RETRY_POLICIES.record, options.backoff);
    const concurrency = options.concurrency ?? 16;
    this.#running = new Semaphore(concurrency);
    this.#buffered = new Semaphore(options.maxBuffered ?? concurrency * 4);
  }

  /** Joins the group and starts processing; resolves once the first stream is open. */
  async start(): Promise<void> {
    this.#o.consumer.on('consumer:group:join', this.#onJoin);
    this.#o.consumer.on('consumer:lag', this.#onLag);
    this.#stream = await this.#consume();
    this.#o.consumer.startLagMonitoring({ topics: [...this.#o.topics] }, this.#o.lagIntervalMs ?? 5000);
    this.#loop = this.#run(this.#stream);
  }

  /** Stops reading, waits for in-flight records, commits them and closes the stream. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    this.#o.consumer.stopLagMonitoring();
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
    // Closing the stream flushes the commits queued by the records that just finished.
    await this.#stream?.close().catch((err: unknown) => this.#log.warn({ err }, 'closing the stream failed'));
    await this.#loop;
    this.#o.consumer.off('consumer:group:join', this.#onJoin);
    this.#o.consumer.off('consumer:lag', this.#onLag);
  }

  /** Records dispatched and not finished, for tests and readiness. */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  #consume(): Promise<MessagesStream<Buffer, Buffer, Buffer, Buffer>> {
    return this.#o.consumer.consume({
      ...this.#o.consumeOptions,
      topics: [...this.#o.topics],
      autocommit: false,
      mode: 'committed',
      fallbackMode: 'earliest',
    });
  }

  async #run(first: MessagesStream<Buffer, Buffer, Buffer, Buffer>): Promise<void> {
    let stream = first;
    let failures = 0;
    for (;;) {
      try {
        for await (const message of stream as AsyncIterable<RawMessage>) {
          if (this.#closing) continue;
          await this.#buffered.acquire();
          this.#dispatch(message);
          failures = 0;
        }
      } catch (err) {
        if (this.#closing) return;
        // The consumer stays usable when its stream fails (a commit refused mid-rebalance,
        // a broker gone): open a new stream, which resumes from the committed offsets.
        failures++;
        this.#log.warn({ err, failures }, 'message stream failed; reopening');
        await pause(backoffDelay(failures, RETRY_POLICIES.streamReopen));
      }
      if (this.#closing) return;
      try {
        stream = await this.#consume();
        this.#stream = stream;
      } catch (err) {
        failures++;
        this.#log.warn({ err, failures }, 'reopening the message stream failed');
        await pause(backoffDelay(failures, RETRY_POLICIES.streamReopen));
      }
    }
  }

  #partition(topic: string, partition: number): PartitionState | undefined {
    const id = `${topic}:${partition}`;
    let state = this.#partitions.get(id);
    if (!state) {
      const assigned = this.#o.consumer.assignments?.some(
        (a) => a.topic === topic && a.partitions.includes(partition),
      );
      if (!assigned) return undefined;
      state = { tracker: new PartitionTracker(), revoked: new AbortController() };
      this.#partitions.set(id, state);
    }
    return state;
  }

  #dispatch(message: RawMessage): void {
    const { topic, partition, offset } = message;
    const state = this.#partition(topic, partition);
    if (!state || !state.tracker.begin(offset, message)) {
      // Fetched before a rebalance: the partition is gone, or the record is being (or was) processed.
      this.#metrics.records.inc({ processor: this.name, topic, outcome: 'skipped' });
      this.#buffered.release();
      return;
    }
    const key = message.key?.toString('utf8') ?? '';
    // The key's lane is held until the handler returns; the record finishes when its
    // deferred work has finished too.
    let finished: Promise<void> = Promise.resolve();
    const work = (): Promise<void> => {
      const { started, settled } = this.#process(message, key, state);
      finished = settled;
      return started;
    };
    const laned = this.#o.ordering === 'none' || key === '' ? work() : this.#lanes.run(key, work);
    const done = laned
      .then(() => finished)
      .then(() => {
        this.#inFlight.delete(done);
        this.#metrics.inFlight.set({ processor: this.name }, this.#inFlight.size);
        this.#buffered.release();
        // A revoked partition's tracker is gone: its records are the new owner's now.
        if (this.#partitions.get(`${topic}:${partition}`) !== state) return;
        const watermark = state.tracker.finish(offset);
        if (watermark) this.#commit(watermark);
      });
    this.#inFlight.add(done);
    this.#metrics.inFlight.set({ processor: this.name }, this.#inFlight.size);
  }

  #commit(message: RawMessage): void {
    // The stream coalesces commits per partition and holds them while the group rejoins.
    const pending = message.commit();
    if (pending)
      pending.catch((err: unknown) =>
        this.#log.warn({ err, topic: message.topic, partition: message.partition }, 'offset commit failed'),
      );
  }

  /**
   * Runs the record to its outcome. `started` resolves once the handler has returned
   * (or the record ended), `settled` once its deferred work, retries included, is over.
   * Neither rejects: every record ends processed, dead-lettered or abandoned.
   */
  #process(
    message: RawMessage,
    key: string,
    state: PartitionState,
  ): { started: Promise<void>; settled: Promise<void> } {
    let markStarted: () => void = () => undefined;
    const started = new Promise<void>((resolve) => (markStarted = resolve));
    const settled = this.#attempts(message, key, state, () => markStarted()).finally(() => markStarted());
    return { started, settled };
  }

  /**
   * Runs the record inside a consumer span whose parent is the trace context its producer put in
   * its headers, so the work it starts, and the events that work produces, carry one trace on.
   */
  #attempts(message: RawMessage, key: string, state: PartitionState, markStarted: () => void): Promise<void> {
    const parent = recordTraceContext(message.headers);
    return inSpan(
      `${message.topic} process`,
      {
        parent,
        kind: SpanKind.CONSUMER,
        attributes: {
          ...recordSpanAttributes(message),
          'messaging.consumer.group.name': this.#o.consumer.groupId,
        },
      },
      () => this.#attemptsInSpan(message, key, state, markStarted),
    );
  }

  async #attemptsInSpan(
    message: RawMessage,
    key: string,
    state: PartitionState,
    markStarted: () => void,
  ): Promise<void> {
    const { topic } = message;
    const signal = state.revoked.signal;
    const maxAttempts = this.#retry.attempts;
    const stopTimer = this.#metrics.seconds.startTimer({ processor: this.name, topic });
    await this.#running.acquire();
    let holding = true;
    try {
      for (let attempt = 1; ; attempt++) {
        if (signal.aborted) return this.#abandon(topic);
        if (!holding) {
          // A retry after failed deferred work runs the handler again, under the bound again.
          await this.#running.acquire();
          holding = true;
        }
        try {
          const value = await this.#o.decode(message);
          const headers = new Map<string, Buffer>();
          for (const [k, v] of message.headers) headers.set(k.toString('utf8'), v);
          const deferred = await this.#o.handle(
            {
              topic,
              partition: message.partition,
              offset: message.offset,
              key,
              value,
              headers,
              timestamp: message.timestamp,
              attempt,
            },
            signal,
          );
          if (deferred) {
            // Deferred work runs under its own bounds: free the handler slot and the key.
            if (holding) this.#running.release();
            holding = false;
            markStarted();
            await deferred.done;
          }
          this.#metrics.records.inc({ processor: this.name, topic, outcome: 'ok' });
          return;
        } catch (err) {
          if (signal.aborted) return this.#abandon(topic);
          const error = toSluiceError(err);
          const fields = {
            err,
            topic,
            partition: message.partition,
            offset: String(message.offset),
            attempt,
          };
          if (!error.retriable || attempt >= maxAttempts) {
            await this.#deadLetter(message, error, attempt, signal);
            return;
          }
          this.#metrics.retries.inc({ processor: this.name, topic });
          this.#log.warn(fields, 'record failed; retrying');
          try {
            await pause(backoffDelay(attempt, this.#retry), signal);
          } catch {
            return this.#abandon(topic);
          }
        }
      }
    } finally {
      if (holding) this.#running.release();
      stopTimer();
    }
  }

  #abandon(topic: string): void {
    this.#metrics.records.inc({ processor: this.name, topic, outcome: 'abandoned' });
  }

  /** Sends the record to the dead-letter sink, retrying until it is durable or the partition is revoked. */
  async #deadLetter(
    message: RawMessage,
    error: SluiceError,
    attempts: number,
    signal: AbortSignal,
  ): Promise<void> {
    const letter: DeadLetter = {
      topic: message.topic,
      partition: message.partition,
      offset: message.offset,
      key: message.key,
      value: message.value,
      headers: message.headers,
      error,
      attempts,
    };
    const fields = {
      err: error,
      topic: message.topic,
      partition: message.partition,
      offset: String(message.offset),
    };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#o.deadLetters.send(letter);
        await this.#o.onDeadLetter?.(letter);
        break;
      } catch (err) {
        // Dropping the record is never an option: the partition waits here until the letter is durable.
        this.#log.error({ ...fields, sinkError: err }, 'dead-lettering failed; retrying');
        try {
          await pause(backoffDelay(attempt, RETRY_POLICIES.deadLetterProduce), signal);
        } catch {
          return this.#abandon(message.topic);
        }
      }
    }
    this.#metrics.deadLetters.inc({ processor: this.name, topic: message.topic });
    this.#metrics.records.inc({ processor: this.name, topic: message.topic, outcome: 'dead_lettered' });
    this.#log.error({ ...fields, attempts }, 'record dead-lettered');
  }

  readonly #onJoin = (payload: ConsumerGroupJoinPayload): void => {
    const now = new Set<string>();
    for (const a of payload.assignments ?? []) for (const p of a.partitions) now.add(`${a.topic}:${p}`);
    for (const [id, state] of this.#partitions) {
      if (now.has(id)) continue;
      state.revoked.abort(new Error(`partition ${id} was revoked`));
      this.#partitions.delete(id);
      this.#log.info({ partition: id, abandoned: state.tracker.size }, 'partition revoked');
    }
  };

  readonly #onLag = (lag: Map<string, bigint[]>): void => {
    for (const [topic, partitions] of lag) {
      partitions.forEach((value, partition) => {
        if (value >= 0n) this.#metrics.lag.set({ processor: this.name, topic, partition }, Number(value));
      });
    }
  };
}

/**
 * Writes one topic's events: the envelope framed by the topic's codec (Apicurio wire format) as
 * the record value, the node_id as the key (so one file's events stay in one partition, in
 * order), W3C trace context in the headers. `produce` resolves once Kafka has the event on
 * every in-sync replica (acks=all, idempotent producer), never before.
 *
 * Events are sent in batches (send-queue.ts): what accumulated while the previous request was in
 * flight goes out in the next one, in produce order. An event is encoded when its batch is
 * assembled (the next batch while the current one is in flight), so only about two batches of
 * encoded bytes exist at a time. Accepted events are bounded in number; past the bound `produce`
 * waits. A failed request fails its events and every event produced before the failure was
 * known, with EVENTS_UNAVAILABLE: nothing that was not acknowledged is reported as durable, and
 * no later event overtakes one the caller retries. An event too large to send fails alone.
 */
import { performance } from 'node:perf_hooks';
import { compatibilityPartitioner, findErrorBy, type MessageToProduce } from '@platformatic/kafka';
import { FailedPreconditionError, InvalidArgumentError, UnavailableError } from '@sluice/errors';
import type { EnvelopeOf, EventCodec, EventTopic } from '@sluice/schema-registry';
import { traceHeadersOf } from '@sluice/telemetry';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { isSluiceKafkaProducer, type KafkaProducer } from './kafka-producer.ts';
import { producerMetrics, type TopicProducerMetrics } from './producer-metrics.ts';
import { SendQueue } from './send-queue.ts';
import { newTraceparent, parseTraceparent, TRACEPARENT_HEADER, TRACESTATE_HEADER } from './trace-context.ts';

/** Options of {@link EventProducer}. */
export interface EventProducerOptions<T extends EventTopic> {
  /** Built by {@link createKafkaProducer}; the caller closes it after the EventProducer. */
  readonly producer: KafkaProducer;
  /** The topic's codec; its `topicName` is the Kafka topic written to. */
  readonly codec: EventCodec<T>;
  /** Where the `sluice_event*` metrics go. */
  readonly metrics?: Registry;
  readonly logger?: Logger;
  /**
   * Events accepted (queued or in flight) before `produce` waits. Events are encoded only when
   * their batch is assembled, so this bounds objects, not encoded bytes. @default 10000
   */
  readonly maxPendingEvents?: number;
  /** Events in one produce request. @default 1000 */
  readonly maxBatchEvents?: number;
  /**
   * Bytes in one produce request; also the largest event accepted. Keep it under the brokers'
   * `message.max.bytes` (1 MiB by default), which bounds each partition's record batch.
   * @default 786432 (768 KiB)
   */
  readonly maxBatchBytes?: number;
}

/** Per-event options of {@link EventProducer.produce}. */
export interface ProduceOptions {
  /**
   * The event's W3C `traceparent`. @default the active span's (so events continue the trace
   * of the work that produced them), and a new trace when there is none or it is invalid.
   */
  readonly traceparent?: string;
  /** The caller's W3C `tracestate`, passed through with a valid traceparent. */
  readonly tracestate?: string;
  /** Abandons waiting for room in the queue; an event already queued is sent regardless. */
  readonly signal?: AbortSignal;
}

/** Where an acknowledged event is. */
export interface ProducedEvent {
  readonly topic: string;
  /** -1 if the client had no metadata for the topic (never seen in practice). */
  readonly partition: number;
  /** -1n under the same condition. */
  readonly offset: bigint;
  /** The traceparent header the record carries. */
  readonly traceparent: string;
}

/** An accepted event, encoded only when its batch is assembled. */
interface Accepted<E> {
  readonly event: E;
  readonly traceparent: string;
  readonly tracestate: string | undefined;
}

interface Outgoing {
  readonly message: MessageToProduce<Buffer, Buffer, Buffer, Buffer>;
  readonly hash: number;
  readonly traceparent: string;
}

// Per-record overhead in a v2 record batch beyond key, value and headers (varints, attributes).
const RECORD_OVERHEAD_BYTES = 32;
const TRACEPARENT_KEY = Buffer.from(TRACEPARENT_HEADER);
const TRACESTATE_KEY = Buffer.from(TRACESTATE_HEADER);

export class EventProducer<T extends EventTopic> {
  readonly topic: string;
  readonly #producer: KafkaProducer;
  readonly #codec: EventCodec<T>;
  readonly #logger: Logger | undefined;
  readonly #metrics: TopicProducerMetrics | undefined;
  readonly #queue: SendQueue<Accepted<EnvelopeOf<T>>, Outgoing, ProducedEvent>;
  readonly #maxEventBytes: number;
  #closing: Promise<void> | undefined;

  constructor(options: EventProducerOptions<T>) {
    if (!isSluiceKafkaProducer(options.producer)) {
      throw new FailedPreconditionError(
        'CONFIG_INVALID',
        'EventProducer needs a producer client built by createKafkaProducer (idempotent, acks=all, Java partitioner)',
      );
    }
    this.#producer = options.producer;
    this.#codec = options.codec;
    this.topic = options.codec.topicName;
    this.#logger = options.logger;
    this.#maxEventBytes = options.maxBatchBytes ?? 768 * 1024;
    this.#queue = new SendQueue<Accepted<EnvelopeOf<T>>, Outgoing, ProducedEvent>({
      maxPendingItems: options.maxPendingEvents ?? 10_000,
      maxBatchItems: options.maxBatchEvents ?? 1000,
      maxBatchBytes: this.#maxEventBytes,
      prepare: (accepted) => this.#encode(accepted),
      send: (batch) => this.#send(batch),
      failure: (error, failedItems) => this.#failure(error, failedItems),
    });
    this.#metrics =
      options.metrics === undefined
        ? undefined
        : producerMetrics(options.metrics, this.topic, () => this.#queue.pending);
  }

  /** Events queued, in flight, or waiting for room. */
  get pending(): number {
    return this.#queue.pending;
  }

  /**
   * Sends `event` keyed by its node_id; resolves once Kafka acknowledged it with acks=all.
   * @throws InvalidArgumentError when the event has no node_id or is too large to send (the
   *   latter found when its batch is assembled; it fails alone).
   * @throws UnavailableError EVENTS_UNAVAILABLE (retriable unless Kafka refused the records
   *   for good) when Kafka did not acknowledge it; SHUTTING_DOWN after `close()`.
   */
  produce(event: EnvelopeOf<T>, options: ProduceOptions = {}): Promise<ProducedEvent> {
    if (this.#closing !== undefined) {
      return Promise.reject(
        new UnavailableError(
          'SHUTTING_DOWN',
          `the ${this.topic} producer is closing and takes no more events`,
        ),
      );
    }
    const started = performance.now();
    let accepted: Accepted<EnvelopeOf<T>>;
    try {
      accepted = this.#accept(event, options);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    const metrics = this.#metrics;
    const sent = this.#queue.push(accepted, options.signal);
    if (metrics === undefined) return sent;
    return sent.then(
      (produced) => {
        metrics.produced.inc();
        metrics.seconds.observe((performance.now() - started) / 1000);
        return produced;
      },
      (error: unknown) => {
        metrics.failed.inc();
        throw error;
      },
    );
  }

  /** Stops taking events and resolves once every accepted event is acknowledged or failed. */
  close(): Promise<void> {
    this.#closing ??= this.#queue.drained().then(() => this.#metrics?.release());
    return this.#closing;
  }

  #accept(event: EnvelopeOf<T>, options: ProduceOptions): Accepted<EnvelopeOf<T>> {
    if (typeof event.nodeId !== 'string' || event.nodeId === '') {
      throw new InvalidArgumentError(
        `event ${event.eventId} for ${this.topic} has no node_id: every event is keyed by node_id so one file's events stay in order`,
      );
    }
    const given = options.traceparent === undefined ? traceHeadersOf() : options;
    if (given?.traceparent === undefined || parseTraceparent(given.traceparent) === undefined) {
      return { event, traceparent: newTraceparent(), tracestate: undefined };
    }
    const tracestate = given.tracestate === '' ? undefined : given.tracestate;
    return { event, traceparent: given.traceparent, tracestate };
  }

  // Runs when the event's batch is assembled; throwing fails this event alone.
  #encode({ event, traceparent, tracestate }: Accepted<EnvelopeOf<T>>): {
    prepared: Outgoing;
    bytes: number;
  } {
    const headers = new Map<Buffer, Buffer>([[TRACEPARENT_KEY, Buffer.from(traceparent)]]);
    if (tracestate !== undefined) headers.set(TRACESTATE_KEY, Buffer.from(tracestate));
    const key = Buffer.from(event.nodeId);
    const value = this.#codec.encode(event);
    let bytes = key.length + value.length + RECORD_OVERHEAD_BYTES;
    for (const [name, header] of headers) bytes += name.length + header.length + 2;
    if (bytes > this.#maxEventBytes) {
      throw new InvalidArgumentError(
        `event ${event.eventId} for ${this.topic} is ${bytes} bytes; the limit is ${this.#maxEventBytes}: events carry references, never payload bytes`,
      );
    }
    // The partition is chosen here, as Java's default partitioner would, so the result can
    // say where the event went; the client takes it modulo the partition count.
    const hash = compatibilityPartitioner({ topic: this.topic, key }, key);
    return {
      prepared: { message: { topic: this.topic, key, value, headers, partition: hash }, hash, traceparent },
      bytes,
    };
  }

  async #send(batch: readonly Outgoing[]): Promise<ProducedEvent[]> {
    const result = await this.#producer.send({ messages: batch.map((outgoing) => outgoing.message) });
    const partitions = this.#producer.currentMetadata?.topics.get(this.topic)?.partitionsCount;
    const baseOffsets = new Map<number, bigint>();
    for (const { topic, partition, offset } of result.offsets ?? []) {
      if (topic === this.topic) baseOffsets.set(partition, offset);
    }
    const nextInPartition = new Map<number, bigint>();
    return batch.map((outgoing) => {
      const partition = partitions === undefined ? -1 : outgoing.hash % partitions;
      const base = baseOffsets.get(partition);
      const index = nextInPartition.get(partition) ?? 0n;
      nextInPartition.set(partition, index + 1n);
      return {
        topic: this.topic,
        partition,
        offset: base === undefined ? -1n : base + index,
        traceparent: outgoing.traceparent,
      };
    });
  }

  #failure(error: unknown, failedEvents: number): UnavailableError {
    const cause = error instanceof Error ? error : undefined;
    const refused = PERMANENT_KAFKA_ERRORS.find((id) => findErrorBy(cause, 'apiId', id) !== null);
    const auth = findErrorBy(cause, 'code', 'PLT_KFK_AUTHENTICATION') !== null;
    const why = refused ?? (error instanceof Error ? error.message : String(error));
    const failure = new UnavailableError(
      'EVENTS_UNAVAILABLE',
      `Kafka did not acknowledge ${failedEvents} event(s) for ${this.topic} (${why}); none of them is durable: ` +
        (refused === undefined && !auth
          ? 'retry them'
          : 'retrying will not help until the topic or the client is fixed'),
      {
        cause: error,
        retriable: refused === undefined && !auth,
        details: { topic: this.topic, events: failedEvents },
      },
    );
    this.#logger?.warn({ err: error, topic: this.topic, events: failedEvents }, failure.message);
    return failure;
  }
}

/** Kafka errors a retry of the same records cannot fix. */
const PERMANENT_KAFKA_ERRORS = [
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'INVALID_REQUIRED_ACKS',
] as const;

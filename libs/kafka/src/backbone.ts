import { randomUUID } from 'node:crypto';
import { Admin, Consumer } from '@platformatic/kafka';
import { FailedPreconditionError } from '@sluice/errors';
import {
  ApicurioRegistry,
  createEventCodecs,
  describeSchemaMismatches,
  EVENT_TOPICS,
  schemaMismatchOf,
  type SchemaMismatch,
  type EnvelopeOf,
  type EventCodecs,
  type EventTopic,
  DEAD_LETTER_SUFFIX,
} from '@sluice/schema-registry';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { RETRY_POLICIES } from '@sluice/retry';
import { kafkaRetryOptions } from './client-retry.ts';
import { kafkaDeadLetterSink } from './dead-letter.ts';
import { latestRecords } from './latest-records.ts';
import { EventProducer } from './event-producer.ts';
import { createKafkaProducer, type KafkaConnectionOptions, type KafkaProducer } from './kafka-producer.ts';
import { StreamProcessor, type StreamProcessorOptions } from './processor.ts';
import { provisionTopics } from './topics.ts';

/** Options for {@link EventBackbone.connect}. */
export interface EventBackboneOptions {
  /** `host:port` of the brokers. */
  readonly brokers: readonly string[];
  /** TLS (and SASL) of every client the backbone opens: admin, producer, consumers. @default plaintext */
  readonly connection?: KafkaConnectionOptions;
  /** Apicurio Registry v3 API base URL. */
  readonly registryUrl: string;
  /** Before every topic name. @default '' */
  readonly topicPrefix?: string;
  /** Partitions of each topic Sluice creates. @default 6 */
  readonly partitions?: number;
  /** @default 1 */
  readonly replicationFactor?: number;
  /** Names this app to the brokers. */
  readonly clientId: string;
  readonly logger: Logger;
  readonly metrics: Registry;
  /** Dead-letter topics are `<topic><suffix>`. @default DEAD_LETTER_SUFFIX ('.dlq') */
  readonly deadLetterSuffix?: string;
}

/** What a processor needs beyond what the backbone already knows. */
export type ProcessorOptions<T extends EventTopic> = Omit<
  StreamProcessorOptions<EnvelopeOf<T>>,
  'consumer' | 'topics' | 'decode' | 'deadLetters' | 'logger' | 'registry'
> & {
  /** Consumer group; one group per consuming app. */
  readonly groupId: string;
};

/**
 * One app's connection to the event backbone: the three topics and their dead-letter
 * topics provisioned, the three schemas registered (find-or-create), one idempotent
 * producer client shared by the app's event producers and dead-letter sinks, and
 * consumers tracked so `close()` stops everything in order.
 */
export class EventBackbone {
  readonly codecs: EventCodecs;
  readonly topics: { readonly [T in EventTopic]: string };
  /** The schema registry the codecs were made with. */
  readonly registry: ApicurioRegistry;
  readonly #o: EventBackboneOptions;
  readonly #client: KafkaProducer;
  readonly #producers = new Map<EventTopic, EventProducer<EventTopic>>();
  readonly #processors: StreamProcessor<unknown>[] = [];
  readonly #consumers: Consumer<Buffer, Buffer, Buffer, Buffer>[] = [];

  private constructor(
    options: EventBackboneOptions,
    registry: ApicurioRegistry,
    codecs: EventCodecs,
    client: KafkaProducer,
  ) {
    this.#o = options;
    this.registry = registry;
    this.codecs = codecs;
    this.#client = client;
    this.topics = {
      'intake.chunks': codecs['intake.chunks'].topicName,
      'intake.parts': codecs['intake.parts'].topicName,
      'intake.uploads': codecs['intake.uploads'].topicName,
    };
  }

  /** Provisions topics, registers schemas and opens the producer client. */
  static async connect(options: EventBackboneOptions): Promise<EventBackbone> {
    const prefix = options.topicPrefix ?? '';
    const admin = new Admin({
      ...options.connection,
      clientId: `${options.clientId}-admin`,
      bootstrapBrokers: [...options.brokers],
    });
    try {
      const common = {
        partitions: options.partitions ?? 6,
        replicationFactor: options.replicationFactor ?? 1,
        logger: options.logger,
        // The topics are the record of every upload: kept whole so state can be rebuilt by replay.
        configs: { 'retention.ms': '-1' },
      };
      await provisionTopics(admin, { ...common, topicPrefix: prefix });
      // Dead letters of topic T go to `T<suffix>`, partitioned like T.
      await provisionTopics(admin, {
        ...common,
        topicPrefix: prefix,
        topicSuffix: options.deadLetterSuffix ?? DEAD_LETTER_SUFFIX,
      });
    } finally {
      await admin.close();
    }
    const registry = new ApicurioRegistry({ url: options.registryUrl });
    const codecs = await createEventCodecs(registry, { topicPrefix: prefix });
    const client = createKafkaProducer({
      ...options.connection,
      brokers: options.brokers,
      clientId: options.clientId,
    });
    return new EventBackbone(options, registry, codecs, client);
  }

  /** The event producer of `topic` (one per topic, shared). */
  producer<T extends EventTopic>(topic: T): EventProducer<T> {
    let p = this.#producers.get(topic) as EventProducer<T> | undefined;
    if (!p) {
      p = new EventProducer({
        producer: this.#client,
        codec: this.codecs[topic],
        metrics: this.#o.metrics,
        logger: this.#o.logger,
      });
      this.#producers.set(topic, p as unknown as EventProducer<EventTopic>);
    }
    return p;
  }

  /**
   * Refuses, with REGISTRY_MISMATCH, when the last record of a partition of `topics` names a
   * contentId the registry does not resolve to the topic's envelope: the registry was reset or
   * replaced under stored events, and replaying them would fail. Apps call it at start-up.
   * @throws FailedPreconditionError REGISTRY_MISMATCH, naming each record, what the registry
   *   answers, and what to do.
   * @throws UnavailableError when Kafka or the registry cannot be reached.
   */
  async checkStoredSchemas(topics: readonly EventTopic[] = EVENT_TOPICS): Promise<void> {
    const byName = new Map(topics.map((t) => [this.topics[t], t]));
    const consumer = this.#newConsumer(`${this.#o.clientId}-schema-check-${randomUUID()}`);
    let mismatches: SchemaMismatch[];
    try {
      const records = await latestRecords(consumer, [...byName.keys()]);
      const found = await Promise.all(
        records.flatMap((r) => {
          const topic = byName.get(r.topic);
          return topic ? [schemaMismatchOf(this.registry, { ...r, topic, topicName: r.topic })] : [];
        }),
      );
      mismatches = found.filter((m) => m !== undefined);
    } finally {
      await consumer.close(true);
    }
    if (mismatches.length > 0) {
      throw new FailedPreconditionError(
        'REGISTRY_MISMATCH',
        describeSchemaMismatches(mismatches, this.registry.url),
        { details: { topic: mismatches[0]?.topicName ?? '', contentId: mismatches[0]?.contentId ?? 0 } },
      );
    }
  }

  /** A consumer of `groupId` with manual commits and a session short enough to notice a dead member fast. */
  consumer(groupId: string): Consumer<Buffer, Buffer, Buffer, Buffer> {
    const consumer = this.#newConsumer(groupId);
    this.#consumers.push(consumer);
    return consumer;
  }

  #newConsumer(groupId: string): Consumer<Buffer, Buffer, Buffer, Buffer> {
    return new Consumer({
      ...this.#o.connection,
      groupId,
      clientId: `${this.#o.clientId}-${randomUUID().slice(0, 8)}`,
      bootstrapBrokers: [...this.#o.brokers],
      autocommit: false,
      maxWaitTime: 500,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      ...kafkaRetryOptions(RETRY_POLICIES.kafkaConsumer),
    });
  }

  /** A stream processor over `topic` that decodes its envelopes and dead-letters to `<topic>.dlq`. */
  processor<T extends EventTopic>(topic: T, options: ProcessorOptions<T>): StreamProcessor<EnvelopeOf<T>> {
    const codec = this.codecs[topic];
    const processor = new StreamProcessor<EnvelopeOf<T>>({
      ...options,
      consumer: this.consumer(options.groupId),
      topics: [codec.topicName],
      decode: (message) => codec.decode(message.value ?? Buffer.alloc(0)),
      deadLetters: kafkaDeadLetterSink(this.#client, {
        suffix: this.#o.deadLetterSuffix ?? DEAD_LETTER_SUFFIX,
      }),
      logger: this.#o.logger,
      registry: this.#o.metrics,
    });
    this.#processors.push(processor as unknown as StreamProcessor<unknown>);
    return processor;
  }

  /** Drains processors, flushes producers, then closes consumers and the client. */
  async close(): Promise<void> {
    await Promise.allSettled(this.#processors.map((p) => p.close()));
    await Promise.allSettled([...this.#producers.values()].map((p) => p.close()));
    await Promise.allSettled(this.#consumers.map((c) => c.close(true)));
    await this.#client.close();
  }
}

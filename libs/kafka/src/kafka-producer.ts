/**
 * The one way Sluice builds a Kafka producer client: idempotent (which also means acks=all and
 * one request in flight per broker connection, so retries never reorder a partition), bounded
 * retries so an outage surfaces as an error instead of a send that never settles, and Java's
 * partitioner, so a node_id lands in the partition a Java producer (or Kafka Streams) would
 * choose for it — the downstream engine can co-partition on node_id.
 */
import { compatibilityPartitioner, ProduceAcks, Producer, type ProducerOptions } from '@platformatic/kafka';
import { RETRY_POLICIES } from '@sluice/retry';
import { kafkaRetryOptions } from './client-retry.ts';

/** A producer client as {@link createKafkaProducer} builds it. */
export type KafkaProducer = Producer<Buffer, Buffer, Buffer, Buffer>;

/** Connection settings passed through to @platformatic/kafka unchanged (TLS, SASL, …). */
export type KafkaConnectionOptions = Pick<
  ProducerOptions<Buffer, Buffer, Buffer, Buffer>,
  'tls' | 'ssl' | 'tlsServerName' | 'sasl' | 'clientRack'
>;

/** Options of {@link createKafkaProducer}. */
export interface KafkaProducerOptions extends KafkaConnectionOptions {
  /** `host:port` of one or more brokers. */
  readonly brokers: readonly string[];
  /** Names this client in the brokers' logs and quotas, e.g. `ingest-api`. */
  readonly clientId: string;
  /** Time limit of one request (and of waiting for acks=all). @default 5000 */
  readonly timeoutMs?: number;
  /** Time limit of opening a connection. @default 5000 */
  readonly connectTimeoutMs?: number;
  /**
   * Attempts after a failed request before the send fails; at least 2 (@platformatic/kafka
   * reads 0 or 1 as "retry forever" for idempotent producers).
   * @default 5 (`RETRY_POLICIES.kafkaProduce.attempts` − 1, in @sluice/retry)
   */
  readonly retries?: number;
  /**
   * Ceiling of the delay before the first retry; later ones double it up to
   * `RETRY_POLICIES.kafkaProduce.capMs`, with the policy's jitter.
   * @default 250 (`RETRY_POLICIES.kafkaProduce.baseMs`)
   */
  readonly retryDelayMs?: number;
}

const producers = new WeakSet<KafkaProducer>();

/** Builds an idempotent, acks=all producer client. The caller closes it. */
export function createKafkaProducer(options: KafkaProducerOptions): KafkaProducer {
  const { brokers, clientId, timeoutMs, connectTimeoutMs, retries, retryDelayMs, ...connection } = options;
  const retry = kafkaRetryOptions(RETRY_POLICIES.kafkaProduce, { retries, baseMs: retryDelayMs });
  const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({
    ...connection,
    clientId,
    bootstrapBrokers: [...brokers],
    idempotent: true,
    acks: ProduceAcks.ALL,
    partitioner: compatibilityPartitioner,
    timeout: timeoutMs ?? 5000,
    connectTimeout: connectTimeoutMs ?? 5000,
    retries: Math.max(2, retry.retries),
    retryDelay: retry.retryDelay,
    autocreateTopics: false,
  });
  producers.add(producer);
  return producer;
}

/** Whether `producer` came from {@link createKafkaProducer}. */
export function isSluiceKafkaProducer(producer: KafkaProducer): boolean {
  return producers.has(producer);
}

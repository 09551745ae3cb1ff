/**
 * Public door of @sluice/kafka, everything Sluice does with Kafka:
 * - producing: the producer client, the typed event producer (framed envelopes keyed by
 *   node_id, acks=all, W3C trace context);
 * - topics: names, provisioning, dead-letter topics;
 * - consuming: the stream processor (per-key ordering, bounded concurrency, low-watermark
 *   commits, retries, dead letters);
 * - the event backbone that wires an app to all of it.
 */
export {
  EventProducer,
  type EventProducerOptions,
  type ProducedEvent,
  type ProduceOptions,
} from './event-producer.ts';
export {
  createKafkaProducer,
  isSluiceKafkaProducer,
  type KafkaConnectionOptions,
  type KafkaProducer,
  type KafkaProducerOptions,
} from './kafka-producer.ts';
export { provisionTopics, type ProvisionedTopic, type ProvisionTopicsOptions } from './topics.ts';
export {
  newTraceparent,
  parseTraceparent,
  recordSpanAttributes,
  recordTraceContext,
  TRACEPARENT_HEADER,
  TRACESTATE_HEADER,
  type TraceParent,
} from './trace-context.ts';
export { EventBackbone } from './backbone.ts';
export type { EventBackboneOptions, ProcessorOptions } from './backbone.ts';
export { DEAD_LETTER_HEADERS, kafkaDeadLetterSink } from './dead-letter.ts';
export type { DeadLetter, DeadLetterSink } from './dead-letter.ts';
export { KeyLanes } from './key-lanes.ts';
export { PartitionTracker } from './offset-tracker.ts';
export { StreamProcessor } from './processor.ts';
export type { Deferred, StreamProcessorOptions, StreamRecord } from './processor.ts';

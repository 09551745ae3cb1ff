/**
 * Public door of @sluice/kafka: the producer client Sluice builds, the typed event producer
 * (framed envelopes keyed by node_id, acks=all, W3C trace context), and topic provisioning.
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
  TRACEPARENT_HEADER,
  TRACESTATE_HEADER,
  type TraceParent,
} from './trace-context.ts';

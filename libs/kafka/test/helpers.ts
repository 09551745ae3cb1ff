/**
 * Helpers for integration tests against the local Kafka (also `@sluice/kafka/testing`): a
 * backbone, reading a topic back, unique producers.
 */
import { randomUUID } from 'node:crypto';
import { Consumer, type Message } from '@platformatic/kafka';
import { kafkaBrokers, serviceUrl, type AfterHook } from '@sluice/testing';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createKafkaProducer, EventBackbone, type KafkaProducer } from '../src/index.ts';

/**
 * An EventBackbone on the local Kafka and Apicurio under `topicPrefix`, with silent logs and a
 * metrics registry of its own; closed after `t` when one is given, else by the caller.
 */
export async function testBackbone(
  topicPrefix: string,
  options: { readonly t?: AfterHook; readonly partitions?: number; readonly clientId?: string } = {},
): Promise<EventBackbone> {
  const backbone = await EventBackbone.connect({
    brokers: kafkaBrokers(),
    registryUrl: serviceUrl('apicurio'),
    topicPrefix,
    partitions: options.partitions ?? 2,
    clientId: options.clientId ?? 'sluice-kafka-test',
    logger: pino({ level: 'silent' }),
    metrics: new Registry(),
  });
  options.t?.after(() => backbone.close());
  return backbone;
}

/** A producer client for `t`, closed after it. */
export function testProducer(t: AfterHook, clientId = 'sluice-kafka-test'): KafkaProducer {
  const producer = createKafkaProducer({ brokers: kafkaBrokers(), clientId });
  t.after(() => producer.close());
  return producer;
}

/**
 * Reads `count` records from the start of `topic` with a fresh consumer group, or fails after
 * `timeoutMs` saying how many arrived.
 */
export async function readRecords(topic: string, count: number, timeoutMs = 20_000): Promise<Message[]> {
  const consumer = new Consumer({
    clientId: 'sluice-kafka-test-reader',
    groupId: `sluice-test-${randomUUID()}`,
    bootstrapBrokers: kafkaBrokers(),
    maxWaitTime: 200,
  });
  const records: Message[] = [];
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
  const timer = setTimeout(() => void stream.close(), timeoutMs);
  try {
    for await (const record of stream) {
      records.push(record);
      if (records.length >= count) break;
    }
  } finally {
    clearTimeout(timer);
    await stream.close();
    await consumer.close(true);
  }
  if (records.length < count) {
    throw new Error(`read ${records.length} of ${count} records from ${topic} within ${timeoutMs} ms`);
  }
  return records;
}

/** A header's value as text. */
export function header(record: Message, name: string): string | undefined {
  for (const [key, value] of record.headers) {
    if (key.toString() === name) return value.toString();
  }
  return undefined;
}

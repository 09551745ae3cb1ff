import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestContext } from 'node:test';
import { Consumer, Producer } from '@platformatic/kafka';
import { kafkaAdmin, kafkaBrokers } from '@sluice/testing';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { StreamProcessor, kafkaDeadLetterSink, type StreamProcessorOptions } from '../src/index.ts';

export const silent = pino({ level: 'silent' });

/** A consumer as the apps build it: manual commits, short session so a dead member leaves fast. */
export function testConsumer(groupId: string): Consumer<Buffer, Buffer, Buffer, Buffer> {
  return new Consumer({
    groupId,
    clientId: `test-${randomUUID().slice(0, 8)}`,
    bootstrapBrokers: kafkaBrokers(),
    autocommit: false,
    maxWaitTime: 200,
    sessionTimeout: 6000,
    heartbeatInterval: 500,
  });
}

export function testProducer(): Producer<Buffer, Buffer, Buffer, Buffer> {
  return new Producer({ clientId: `test-${randomUUID().slice(0, 8)}`, bootstrapBrokers: kafkaBrokers() });
}

/** Produces `values` (key = value unless `keyOf` says otherwise) and closes the producer. */
export async function produce(topic: string, values: string[], keyOf = (v: string) => v): Promise<void> {
  const producer = testProducer();
  try {
    await producer.send({
      acks: -1,
      messages: values.map((v) => ({ topic, key: Buffer.from(keyOf(v)), value: Buffer.from(v) })),
    });
  } finally {
    await producer.close();
  }
}

/** A started processor whose consumer, producer and processor close after the test. */
export async function startProcessor(
  t: TestContext,
  options: Pick<StreamProcessorOptions<string>, 'topics' | 'handle'> &
    Partial<StreamProcessorOptions<string>> & { groupId: string; deadLetterSuffix?: string },
): Promise<{ processor: StreamProcessor<string>; registry: Registry }> {
  const consumer = testConsumer(options.groupId);
  const producer = testProducer();
  const registry = new Registry();
  const processor = new StreamProcessor<string>({
    name: 'test',
    consumer,
    decode: (m) => m.value?.toString('utf8') ?? '',
    deadLetters: kafkaDeadLetterSink(producer, { suffix: options.deadLetterSuffix ?? '.dlq' }),
    logger: silent,
    registry,
    lagIntervalMs: 500,
    ...options,
  });
  t.after(async () => {
    await processor.close();
    await consumer.close(true);
    await producer.close();
  });
  await processor.start();
  return { processor, registry };
}

/** The group's committed offset of partition 0 (-1 when none). */
export async function committedOffset(groupId: string, topic: string): Promise<bigint> {
  const admin = kafkaAdmin();
  try {
    const groups = await admin.listConsumerGroupOffsets({
      groups: [{ groupId, topics: [{ name: topic, partitionIndexes: [0] }] }],
    });
    const found = groups[0]?.topics
      .find((x) => x.name === topic)
      ?.partitions.find((p) => p.partitionIndex === 0);
    return found ? found.committedOffset : -1n;
  } finally {
    await admin.close();
  }
}

/** Polls `check` until it returns true, failing with `what` after `ms`. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 30_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

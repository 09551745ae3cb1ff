import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, test } from 'node:test';
import {
  Consumer,
  MessagesStreamModes,
  Producer,
  ProduceAcks,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka';
import { createTopic, kafkaBrokers, requireServices, uniqueName } from '@sluice/testing';

before(() => requireServices(['kafka']));

test('a record produced to the local Kafka is consumed back with its key, value and headers', async (t) => {
  const topic = await createTopic(t, { partitions: 3 });
  const key = `node-${randomUUID()}`;
  const value = `chunk uploaded ${randomUUID()}`;

  const producer = new Producer({
    clientId: 'infra-test',
    bootstrapBrokers: kafkaBrokers(),
    serializers: stringSerializers,
  });
  t.after(() => producer.close());
  await producer.send({
    messages: [{ topic, key, value, headers: { source: 'infra-test' } }],
    acks: ProduceAcks.ALL,
  });

  const consumer = new Consumer({
    groupId: uniqueName('infra-test'),
    clientId: 'infra-test',
    bootstrapBrokers: kafkaBrokers(),
    deserializers: stringDeserializers,
    maxWaitTime: 500,
  });
  t.after(() => consumer.close(true));
  const stream = await consumer.consume({
    topics: [topic],
    mode: MessagesStreamModes.EARLIEST,
    autocommit: true,
  });

  const received = await Promise.race([
    (async () => {
      for await (const message of stream) return message;
      throw new Error('the stream ended without a record');
    })(),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no record on ${topic} within 20 s`)), 20_000).unref(),
    ),
  ]);
  assert.equal(received.topic, topic);
  assert.equal(received.key, key);
  assert.equal(received.value, value);
  assert.equal(received.headers.get('source'), 'infra-test');
});

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import {
  Admin,
  Consumer,
  MessagesStreamModes,
  Producer,
  ProduceAcks,
  stringDeserializers,
  stringSerializers,
} from '@platformatic/kafka';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { kafkaConnection, Startup, type KafkaTlsConfig } from '@sluice/startup';
import {
  createTopic,
  eventTopicPrefix,
  kafkaBrokers,
  makeTlsFiles,
  requireServices,
  serviceUrl,
  uniqueName,
} from '@sluice/testing';
import { infraPaths } from '../src/paths.ts';
import { serviceTlsFiles } from '../src/service-tls.ts';
import { kafkaTlsPorts } from '../src/services/kafka.ts';

before(() => requireServices(['kafka', 'apicurio']));

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

describe('TLS listeners', () => {
  const files = serviceTlsFiles(infraPaths().service('kafka').dir);
  const ports = kafkaTlsPorts(process.env);
  const none = {
    SLUICE_KAFKA_TLS: false,
    SLUICE_KAFKA_TLS_CA: '',
    SLUICE_KAFKA_TLS_CERT: '',
    SLUICE_KAFKA_TLS_KEY: '',
  };
  const mutual = {
    ...none,
    SLUICE_KAFKA_TLS_CA: files.ca,
    SLUICE_KAFKA_TLS_CERT: files.clientCert,
    SLUICE_KAFKA_TLS_KEY: files.clientKey,
  };
  /** Lists the cluster's brokers through `port` with the connection `kafkaConnection` makes. */
  const brokersVia = async (port: number, config: KafkaTlsConfig): Promise<number> => {
    const admin = new Admin({
      ...kafkaConnection(config),
      clientId: 'infra-test-tls',
      bootstrapBrokers: [`127.0.0.1:${port}`],
      retries: 0,
      connectTimeout: 3000,
    });
    try {
      return (await admin.metadata({ topics: [] })).brokers.size;
    } finally {
      await admin.close();
    }
  };

  test('serve TLS to a client that trusts their CA, and mutual TLS to one with a client certificate', async (t) => {
    assert.equal(await brokersVia(ports.tls, { ...none, SLUICE_KAFKA_TLS_CA: files.ca }), 1);
    assert.equal(await brokersVia(ports.mtls, mutual), 1);
    await assert.rejects(
      brokersVia(ports.mtls, { ...none, SLUICE_KAFKA_TLS_CA: files.ca }),
      'the mutual-TLS listener refuses a client without a certificate',
    );
    const other = makeTlsFiles(t, 'other');
    await assert.rejects(
      brokersVia(ports.tls, { ...none, SLUICE_KAFKA_TLS_CA: other.ca }),
      'a broker certificate another CA signed is refused',
    );
    await assert.rejects(
      brokersVia(ports.mtls, {
        ...mutual,
        SLUICE_KAFKA_TLS_CERT: other.clientCert,
        SLUICE_KAFKA_TLS_KEY: other.clientKey,
      }),
      'a client certificate another CA signed is refused',
    );
  });

  test("an app's event backbone (admin, producer, consumer) works over mutual TLS", async (t) => {
    const topicPrefix = eventTopicPrefix(t, 'tls');
    const startup = new Startup('infra-test', pino({ level: 'silent' }), (code) => {
      throw new Error(`the app would exit with ${code}`);
    });
    const backbone = await startup.backbone(
      {
        ...mutual,
        SLUICE_KAFKA_BROKERS: [`127.0.0.1:${ports.mtls}`],
        SLUICE_REGISTRY_URL: serviceUrl('apicurio'),
        SLUICE_TOPIC_PREFIX: topicPrefix,
        SLUICE_KAFKA_PARTITIONS: 1,
        SLUICE_KAFKA_REPLICATION: 1,
      },
      new Registry(),
    );
    t.after(() => backbone.close());
    // Connecting provisioned the topics (admin client) and opened the producer; a consumer too.
    const consumer = backbone.consumer(uniqueName('infra-test-tls'));
    const topic = backbone.topics['intake.uploads'];
    const metadata = await consumer.metadata({ topics: [topic] });
    assert.equal(metadata.topics.get(topic)?.partitionsCount, 1, 'the consumer reads the cluster over TLS');
  });

  test('refuses half a TLS configuration, saying what to set', () => {
    assert.throws(
      () => kafkaConnection({ ...none, SLUICE_KAFKA_TLS_CERT: files.clientCert }),
      /SLUICE_KAFKA_TLS_KEY/,
    );
    assert.throws(
      () =>
        kafkaConnection({
          ...none,
          SLUICE_KAFKA_TLS_CERT: files.clientCert,
          SLUICE_KAFKA_TLS_KEY: files.clientKey,
        }),
      /SLUICE_KAFKA_TLS=true or SLUICE_KAFKA_TLS_CA/,
    );
    assert.deepEqual(kafkaConnection(none), {});
    assert.deepEqual(kafkaConnection({ ...none, SLUICE_KAFKA_TLS: true }), {
      tls: { rejectUnauthorized: true },
    });
  });
});

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { SluiceError } from '@sluice/errors';
import { createEventCodec, InMemorySchemaRegistry } from '@sluice/schema-registry';
import { createTopic, requireServices } from '@sluice/testing';
import { Registry } from 'prom-client';
import { createKafkaProducer, EventProducer, parseTraceparent } from '../src/index.ts';
import { header, readRecords, testProducer } from './helpers.ts';
import { chunkUploaded, uploadInitiated } from './samples.ts';

async function rejection(work: Promise<unknown>): Promise<SluiceError> {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof SluiceError, `expected a SluiceError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

describe('EventProducer against Kafka', () => {
  before(() => requireServices(['kafka']));

  it('writes framed envelopes keyed by node_id with a traceparent, and says where they went', async (t) => {
    const topic = await createTopic(t, { partitions: 3, prefix: 'kafka-test' });
    const codec = await createEventCodec(new InMemorySchemaRegistry(), 'intake.chunks', { topicName: topic });
    const producer = new EventProducer({ producer: testProducer(t), codec });
    const nodes = [`node-${randomUUID()}`, `node-${randomUUID()}`];
    const sent = [uploadInitiated(nodes[0]!), chunkUploaded(nodes[0]!, 0), chunkUploaded(nodes[1]!, 0)];
    const produced = await Promise.all(sent.map((event) => producer.produce(event)));
    await producer.close();

    const records = await readRecords(topic, sent.length);
    for (const [index, event] of sent.entries()) {
      const where = produced[index]!;
      const record = records.find((r) => r.partition === where.partition && r.offset === where.offset);
      assert.ok(record, `no record at ${where.partition}/${where.offset}`);
      assert.equal(record.key.toString(), event.nodeId);
      assert.deepEqual(await codec.decode(record.value), event);
      assert.equal(header(record, 'traceparent'), where.traceparent);
      assert.ok(parseTraceparent(where.traceparent), `${where.traceparent} is a valid traceparent`);
    }
    // One node's events share a partition, in produce order.
    assert.equal(produced[0]!.partition, produced[1]!.partition);
    assert.equal(produced[1]!.offset, produced[0]!.offset + 1n);
    assert.equal(new Set(produced.map((p) => p.traceparent)).size, 3, 'each event starts its own trace');
  });

  it('passes the caller’s trace context through and replaces an invalid one', async (t) => {
    const topic = await createTopic(t, { prefix: 'kafka-test' });
    const codec = await createEventCodec(new InMemorySchemaRegistry(), 'intake.chunks', { topicName: topic });
    const producer = new EventProducer({ producer: testProducer(t), codec });
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const passed = await producer.produce(chunkUploaded('n1'), {
      traceparent,
      tracestate: 'congo=t61rcWkgMzE',
    });
    const replaced = await producer.produce(chunkUploaded('n1'), { traceparent: 'not-a-traceparent' });
    assert.equal(passed.traceparent, traceparent);
    assert.notEqual(replaced.traceparent, 'not-a-traceparent');
    assert.ok(parseTraceparent(replaced.traceparent));
    const [first, second] = await readRecords(topic, 2);
    assert.equal(header(first!, 'traceparent'), traceparent);
    assert.equal(header(first!, 'tracestate'), 'congo=t61rcWkgMzE');
    assert.equal(header(second!, 'traceparent'), replaced.traceparent);
    assert.equal(header(second!, 'tracestate'), undefined);
  });

  it('keeps produce order per node under load with a small bound, batching many events per request', async (t) => {
    const topic = await createTopic(t, { partitions: 4, prefix: 'kafka-test' });
    const codec = await createEventCodec(new InMemorySchemaRegistry(), 'intake.chunks', { topicName: topic });
    const metrics = new Registry();
    const producer = new EventProducer({
      producer: testProducer(t),
      codec,
      metrics,
      maxPendingEvents: 200,
      maxBatchEvents: 100,
    });
    const nodes = Array.from({ length: 8 }, () => `node-${randomUUID()}`);
    const total = 2000;
    let maxPending = 0;
    const results = [];
    for (let i = 0; i < total; i++) {
      results.push(producer.produce(chunkUploaded(nodes[i % nodes.length]!, Math.floor(i / nodes.length))));
      maxPending = Math.max(maxPending, producer.pending);
    }
    const produced = await Promise.all(results);
    assert.equal(producer.pending, 0);

    const records = await readRecords(topic, total);
    const lastChunk = new Map<string, number>();
    for (const record of records.sort((a, b) => Number(a.offset - b.offset))) {
      const event = await codec.decode(record.value);
      assert.equal(event.event?.$case, 'chunkUploaded');
      const chunk = event.event.value.chunkNumber;
      const previous = lastChunk.get(event.nodeId) ?? -1;
      assert.equal(chunk, previous + 1, `node ${event.nodeId}: chunk ${chunk} after ${previous}`);
      lastChunk.set(event.nodeId, chunk);
    }
    assert.equal(new Set(produced.map((p) => `${p.partition}/${p.offset}`)).size, total);

    const counted = await metrics.getSingleMetric('sluice_events_produced_total')!.get();
    assert.equal(counted.values.find((v) => v.labels.topic === topic)?.value, total);
    const histogram = await metrics.getSingleMetric('sluice_event_produce_seconds')!.get();
    const count = histogram.values.find(
      (v) => (v as { metricName?: string }).metricName === 'sluice_event_produce_seconds_count',
    );
    assert.equal(count?.value, total);
    const pending = await metrics.getSingleMetric('sluice_events_pending')!.get();
    assert.equal(pending.values[0]?.value, 0);
  });

  it('refuses an event without node_id, and one too large to send', async (t) => {
    const codec = await createEventCodec(new InMemorySchemaRegistry(), 'intake.chunks', {
      topicName: 'unused',
    });
    const producer = new EventProducer({ producer: testProducer(t), codec, maxBatchBytes: 4096 });
    const noNode = await rejection(producer.produce(chunkUploaded('')));
    assert.equal(noNode.code, 'INVALID_ARGUMENT');
    assert.match(noNode.message, /has no node_id/);
    const big = uploadInitiated('n');
    if (big.event?.$case === 'uploadInitiated') big.event.value.metadata = { blob: 'x'.repeat(5000) };
    const tooLarge = await rejection(producer.produce(big));
    assert.equal(tooLarge.code, 'INVALID_ARGUMENT');
    assert.match(tooLarge.message, /the limit is 4096/);
  });

  it('close() waits for every accepted event, then refuses new ones', async (t) => {
    const topic = await createTopic(t, { prefix: 'kafka-test' });
    const codec = await createEventCodec(new InMemorySchemaRegistry(), 'intake.chunks', { topicName: topic });
    const producer = new EventProducer({ producer: testProducer(t), codec });
    let acknowledged = 0;
    const inFlight = Array.from({ length: 50 }, (_, i) =>
      producer.produce(chunkUploaded('n-close', i)).then(() => acknowledged++),
    );
    await producer.close();
    assert.equal(acknowledged, 50);
    await Promise.all(inFlight);
    const refused = await rejection(producer.produce(chunkUploaded('n-close', 99)));
    assert.equal(refused.code, 'SHUTTING_DOWN');
    assert.equal(refused.retriable, true);
  });

  it('fails every pending event with EVENTS_UNAVAILABLE (retriable, with the cause) when Kafka is unreachable', async (t) => {
    const client = createKafkaProducer({
      brokers: ['127.0.0.1:1'],
      clientId: 'sluice-kafka-test-down',
      connectTimeoutMs: 200,
      timeoutMs: 500,
      retries: 2,
      retryDelayMs: 20,
    });
    t.after(() => client.close());
    const codec = await createEventCodec(new InMemorySchemaRegistry(), 'intake.chunks', {
      topicName: 'unreachable',
    });
    const producer = new EventProducer({ producer: client, codec });
    const results = await Promise.allSettled(
      [1, 2, 3].map((i) => producer.produce(chunkUploaded('n-down', i))),
    );
    for (const result of results) {
      assert.equal(result.status, 'rejected');
      const error = result.reason as SluiceError;
      assert.ok(error instanceof SluiceError);
      assert.equal(error.code, 'EVENTS_UNAVAILABLE');
      assert.equal(error.retriable, true);
      assert.ok(error.cause instanceof Error);
      assert.match(error.message, /did not acknowledge \d+ event\(s\) for unreachable/);
    }
    assert.equal(producer.pending, 0);
  });

  it('takes only producer clients built by createKafkaProducer', async () => {
    const codec = await createEventCodec(new InMemorySchemaRegistry(), 'intake.chunks');
    const { Producer } = await import('@platformatic/kafka');
    const bare = new Producer({ clientId: 'x', bootstrapBrokers: ['127.0.0.1:1'] });
    try {
      assert.throws(
        () => new EventProducer({ producer: bare as never, codec }),
        (error: unknown) => error instanceof SluiceError && error.code === 'CONFIG_INVALID',
      );
    } finally {
      await bare.close();
    }
  });
});

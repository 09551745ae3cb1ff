import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, it } from 'node:test';
import { createEventCodec, InMemorySchemaRegistry } from '@sluice/schema-registry';
import { inSpan } from '@sluice/telemetry';
import { recordSpans } from '@sluice/telemetry/testing';
import { createTopic, requireServices } from '@sluice/testing';
import { EventProducer, parseTraceparent } from '../src/index.ts';
import { header, readRecords, testProducer } from './helpers.ts';
import { startProcessor, until } from './processor-helpers.ts';
import { chunkUploaded } from './samples.ts';

const recorder = recordSpans();

before(() => requireServices(['kafka']));

it('carries one trace across a Kafka hop: producer span → consumer span → the events its work produces', async (t) => {
  const registry = new InMemorySchemaRegistry();
  const first = await createTopic(t, { prefix: 'kafka-trace' });
  const second = await createTopic(t, { prefix: 'kafka-trace' });
  const firstEvents = new EventProducer({
    producer: testProducer(t),
    codec: await createEventCodec(registry, 'intake.chunks', { topicName: first }),
  });
  const secondEvents = new EventProducer({
    producer: testProducer(t),
    codec: await createEventCodec(registry, 'intake.chunks', { topicName: second }),
  });
  const nodeId = `node-${randomUUID()}`;

  // The work that starts the trace (ingest staging a chunk) produces the first event.
  const upload = await inSpan('stage chunk', {}, async (span) => {
    await firstEvents.produce(chunkUploaded(nodeId, 0));
    return span.spanContext();
  });
  // A consumer's work on it (a part-writer storing a part) produces the next one.
  let handled = false;
  await startProcessor(t, {
    groupId: `trace-${randomUUID()}`,
    topics: [first],
    handle: async () => {
      await inSpan('store part', {}, () => secondEvents.produce(chunkUploaded(nodeId, 1)));
      handled = true;
    },
  });
  await until('the first event to be handled', () => handled);
  const [record] = await readRecords(second, 1);
  const carried = parseTraceparent(header(record!, 'traceparent') ?? '');

  const spans = recorder.spans();
  const consumer = spans.find((s) => s.name === `${first} process`);
  const work = spans.find((s) => s.name === 'store part');
  assert.ok(consumer && work, `spans recorded: ${spans.map((s) => s.name).join(', ')}`);
  assert.equal(consumer.spanContext().traceId, upload.traceId, 'the consumer continues the producer’s trace');
  assert.equal(consumer.parentSpanContext?.spanId, upload.spanId, 'as a child of the span that produced');
  assert.equal(consumer.attributes['messaging.destination.name'], first);
  assert.equal(work.parentSpanContext?.spanId, consumer.spanContext().spanId);
  assert.equal(carried?.traceId, upload.traceId, 'the next event carries the same trace on');
  assert.equal(carried?.parentId, work.spanContext().spanId, 'named by the work that produced it');
});

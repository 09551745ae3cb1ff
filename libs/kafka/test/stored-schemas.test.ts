/**
 * The start-up check against real Kafka and Apicurio: stored events whose contentIds a reset
 * registry no longer resolves to their topic's schema are named before anything is replayed.
 */
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { ChunkEvent } from '@sluice/proto';
import { encodeFrame } from '@sluice/schema-registry';
import { eventTopicPrefix, requireServices } from '@sluice/testing';
import { testBackbone } from './helpers.ts';
import { testProducer } from './processor-helpers.ts';

/** One app start: the backbone on the test's topics, closed when the test ends. */
const start = (t: TestContext, topicPrefix: string) =>
  testBackbone(topicPrefix, { t, clientId: 'schema-check-test' });

describe('EventBackbone.checkStoredSchemas', () => {
  it('passes empty topics and events written under the registered schemas', async (t) => {
    await requireServices(['kafka', 'apicurio']);
    const prefix = eventTopicPrefix(t, 'sc');
    const backbone = await start(t, prefix);
    await backbone.checkStoredSchemas();
    await backbone
      .producer('intake.chunks')
      .produce(ChunkEvent.fromPartial({ eventId: 'e1', uploadId: 'u1', nodeId: 'n1' }));
    await (await start(t, prefix)).checkStoredSchemas();
  });

  it('refuses when stored events name contentIds the registry gives to nothing or to another schema', async (t) => {
    await requireServices(['kafka', 'apicurio']);
    const prefix = eventTopicPrefix(t, 'sc');
    const first = await start(t, prefix);
    // What a registry reset leaves behind: chunk events whose contentId the registry now gives to
    // the parts schema, and ones whose contentId it does not have at all.
    const payload = ChunkEvent.encode(
      ChunkEvent.fromPartial({ eventId: 'e1', uploadId: 'u1', nodeId: 'n1' }),
    ).finish();
    const partsId = first.codecs['intake.parts'].schema.contentId;
    const unknownId = 2_000_000_000;
    const topic = first.topics['intake.chunks'];
    const producer = testProducer();
    try {
      await producer.send({
        acks: -1,
        messages: [
          { topic, partition: 0, key: Buffer.from('a'), value: encodeFrame(partsId, 'ChunkEvent', payload) },
          {
            topic,
            partition: 1,
            key: Buffer.from('b'),
            value: encodeFrame(unknownId, 'ChunkEvent', payload),
          },
        ],
      });
    } finally {
      await producer.close();
    }

    const again = await start(t, prefix);
    await assert.rejects(again.checkStoredSchemas(), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'REGISTRY_MISMATCH');
      assert.match(
        err.message,
        new RegExp(
          `${topic} partition 0 offset 0: contentId ${partsId}; the registry answers: a schema without message ChunkEvent \\(it declares PartEvent, `,
        ),
      );
      assert.match(
        err.message,
        new RegExp(`${topic} partition 1 offset 0: contentId ${unknownId}; the registry answers: no schema`),
      );
      assert.match(err.message, /Restore the\nregistry's storage/);
      return true;
    });
    // A check of the topics that were not touched still passes.
    await again.checkStoredSchemas(['intake.parts', 'intake.uploads']);
  });
});

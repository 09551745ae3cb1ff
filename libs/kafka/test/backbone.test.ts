import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { eventTopicPrefix, kafkaAdmin, requireServices, uniqueName } from '@sluice/testing';
import type { EventBackbone } from '../src/index.ts';
import { testBackbone } from './helpers.ts';

async function connect(t: TestContext): Promise<EventBackbone> {
  await requireServices(['kafka', 'apicurio']);
  const topicPrefix = eventTopicPrefix(t, 'bb');
  return testBackbone(topicPrefix, { t, clientId: 'backbone-test' });
}

describe('EventBackbone', () => {
  it('provisions topics with their dead-letter topics, and carries events end to end', async (t) => {
    const backbone = await connect(t);
    const admin = kafkaAdmin();
    const names = Object.values(backbone.topics);
    const metadata = await admin
      .metadata({ topics: [...names, ...names.map((n) => `${n}.dlq`)] })
      .finally(() => admin.close());
    for (const topic of Object.values(backbone.topics)) {
      assert.equal(metadata.topics.get(topic)?.partitionsCount, 2, topic);
      assert.ok(metadata.topics.has(`${topic}.dlq`), `${topic}.dlq`);
    }
    const reader = kafkaAdmin();
    const [described] = await reader
      .describeConfigs({
        resources: [{ resourceType: 2, resourceName: names[0] ?? '', configurationKeys: ['retention.ms'] }],
      })
      .finally(() => reader.close());
    assert.equal(
      described?.configs.find((c) => c.name === 'retention.ms')?.value,
      '-1',
      'events are kept for replay',
    );

    const nodeId = randomUUID();
    const seen: string[] = [];
    const processor = backbone.processor('intake.parts', {
      name: 'test',
      groupId: uniqueName('g'),
      handle: (record) => {
        assert.equal(record.key, nodeId);
        seen.push(record.value.event?.$case === 'partStored' ? record.value.event.value.etag : '?');
        return Promise.resolve();
      },
    });
    await processor.start();
    await backbone.producer('intake.parts').produce({
      eventId: randomUUID(),
      uploadId: 'u',
      nodeId,
      tenant: 't',
      drive: 'd',
      occurredAt: new Date(),
      event: {
        $case: 'partStored',
        value: {
          partNumber: 1,
          byteStart: 0n,
          byteEnd: 5n,
          etag: 'abc',
          crc64nvme: 1n,
          crc32c: 0,
          crc32: 0,
          firstChunk: 0,
          lastChunk: 0,
        },
      },
    });
    for (let i = 0; i < 200 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(seen, ['abc']);
  });
});

import assert from 'node:assert/strict';
import { before, describe, it, type TestContext } from 'node:test';
import { Admin } from '@platformatic/kafka';
import { SluiceError } from '@sluice/errors';
import { kafkaAdmin, requireServices, uniqueName } from '@sluice/testing';
import { provisionTopics } from '../src/index.ts';

async function rejection(work: Promise<unknown>): Promise<SluiceError> {
  try {
    await work;
  } catch (error) {
    assert.ok(error instanceof SluiceError, `expected a SluiceError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

/** An admin client and a unique topic prefix; the three topics are deleted after the test. */
function setup(t: TestContext): { admin: Admin; prefix: string } {
  const admin = kafkaAdmin('sluice-kafka-test-topics');
  const prefix = `${uniqueName('topics')}.`;
  t.after(async () => {
    const names = (await admin.listTopics()).filter((name) => name.startsWith(prefix));
    if (names.length > 0) await admin.deleteTopics({ topics: names });
    await admin.close();
  });
  return { admin, prefix };
}

describe('provisionTopics against Kafka', () => {
  before(() => requireServices(['kafka']));

  it('creates the three topics with the configured partitions, then finds them on the next start', async (t) => {
    const { admin, prefix } = setup(t);
    const first = await provisionTopics(admin, { partitions: 3, replicationFactor: 1, topicPrefix: prefix });
    assert.deepEqual(
      first.map((topic) => [
        topic.topic,
        topic.name,
        topic.created,
        topic.partitions,
        topic.replicationFactor,
      ]),
      [
        ['intake.chunks', `${prefix}intake.chunks`, true, 3, 1],
        ['intake.parts', `${prefix}intake.parts`, true, 3, 1],
        ['intake.uploads', `${prefix}intake.uploads`, true, 3, 1],
      ],
    );
    const again = await provisionTopics(admin, { partitions: 3, replicationFactor: 1, topicPrefix: prefix });
    assert.deepEqual(
      again.map((topic) => topic.created),
      [false, false, false],
    );
  });

  it('creates only what is missing', async (t) => {
    const { admin, prefix } = setup(t);
    await admin.createTopics({ topics: [`${prefix}intake.parts`], partitions: 2, replicas: 1 });
    const result = await provisionTopics(admin, { partitions: 2, replicationFactor: 1, topicPrefix: prefix });
    assert.deepEqual(
      result.map((topic) => topic.created),
      [true, false, true],
    );
  });

  it('refuses, and changes nothing, when an existing topic has another partition count', async (t) => {
    const { admin, prefix } = setup(t);
    await provisionTopics(admin, { partitions: 2, replicationFactor: 1, topicPrefix: prefix });
    const error = await rejection(
      provisionTopics(admin, { partitions: 4, replicationFactor: 1, topicPrefix: prefix }),
    );
    assert.equal(error.code, 'CONFIG_INVALID');
    assert.match(error.message, /intake\.chunks has 2 partitions but 4 are configured/);
    const metadata = await admin.metadata({ topics: [`${prefix}intake.chunks`], forceUpdate: true });
    assert.equal(metadata.topics.get(`${prefix}intake.chunks`)?.partitionsCount, 2);
  });

  it('refuses nonsense counts before calling Kafka', async () => {
    const admin = new Admin({ clientId: 'unused', bootstrapBrokers: ['127.0.0.1:1'] });
    try {
      assert.equal(
        (await rejection(provisionTopics(admin, { partitions: 0, replicationFactor: 1 }))).code,
        'CONFIG_INVALID',
      );
      assert.equal(
        (await rejection(provisionTopics(admin, { partitions: 1, replicationFactor: 0 }))).code,
        'CONFIG_INVALID',
      );
    } finally {
      await admin.close();
    }
  });

  it('says EVENTS_UNAVAILABLE when Kafka cannot be reached', async () => {
    const admin = new Admin({
      clientId: 'sluice-kafka-test-down',
      bootstrapBrokers: ['127.0.0.1:1'],
      connectTimeout: 200,
      retries: 1,
      retryDelay: 10,
    });
    try {
      const error = await rejection(provisionTopics(admin, { partitions: 1, replicationFactor: 1 }));
      assert.equal(error.code, 'EVENTS_UNAVAILABLE');
      assert.equal(error.retriable, true);
    } finally {
      await admin.close();
    }
  });
});

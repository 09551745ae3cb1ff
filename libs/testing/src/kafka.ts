/**
 * Kafka topics for tests. The local broker does not create topics on first use (Sluice
 * provisions its topics), so a test asks for its own topic here and gets it deleted when
 * the test ends.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Admin } from '@platformatic/kafka';
import { kafkaBrokers } from './endpoints.ts';
import { uniqueName, type AfterHook } from './names.ts';

/** Options for {@link createTopic}. */
export interface CreateTopicOptions {
  /** @default 1 */
  readonly partitions?: number;
  /** Start of the topic's name. @default 'test' */
  readonly prefix?: string;
  /** Topic-level configs, e.g. `{ 'retention.ms': '60000' }`. */
  readonly configs?: Readonly<Record<string, string>>;
}

/**
 * Creates a uniquely named topic, waits until every partition has a leader, and deletes
 * the topic after the test. Returns the topic's name.
 */
export async function createTopic(t: AfterHook, options: CreateTopicOptions = {}): Promise<string> {
  const topic = uniqueName(options.prefix ?? 'test');
  const partitions = options.partitions ?? 1;
  const admin = kafkaAdmin();
  t.after(async () => {
    const cleanup = kafkaAdmin();
    try {
      await cleanup.deleteTopics({ topics: [topic] });
    } finally {
      await cleanup.close();
    }
  });
  try {
    await admin.createTopics({
      topics: [topic],
      partitions,
      replicas: 1,
      configs: Object.entries(options.configs ?? {}).map(([name, value]) => ({ name, value })),
    });
    await waitForLeaders(admin, topic, partitions);
  } finally {
    await admin.close();
  }
  return topic;
}

/** An Admin client for the configured brokers; the caller closes it. */
export function kafkaAdmin(clientId = 'sluice-test'): Admin {
  return new Admin({ clientId, bootstrapBrokers: kafkaBrokers() });
}

// CreateTopics returns once the controller accepted the topic; producers that race the
// leader election get NOT_LEADER errors, so wait until metadata shows every leader.
async function waitForLeaders(admin: Admin, topic: string, partitions: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
    const found = metadata.topics.get(topic);
    const ready = found?.partitions.filter((partition) => partition.leader >= 0).length ?? 0;
    if (ready === partitions) return;
    if (Date.now() > deadline) {
      throw new Error(
        `topic ${topic} has ${ready} of ${partitions} partition leaders after 15 s: check the Kafka log`,
      );
    }
    await sleep(100);
  }
}

/** The three intake topics, as Sluice names them after a prefix. */
const INTAKE_TOPICS = ['intake.chunks', 'intake.parts', 'intake.uploads'] as const;

/**
 * A topic prefix of the test's own (`<prefix>-<id>.`) for an app or backbone to provision
 * its topics under; the intake topics and their dead-letter topics under it are deleted
 * after the test.
 */
export function eventTopicPrefix(t: AfterHook, prefix = 'topics'): string {
  const topicPrefix = `${uniqueName(prefix)}.`;
  t.after(() => deleteEventTopics(topicPrefix));
  return topicPrefix;
}

/** Deletes the intake topics and their dead-letter topics under `topicPrefix`, if they exist. */
export async function deleteEventTopics(topicPrefix: string): Promise<void> {
  const admin = kafkaAdmin();
  const topics = INTAKE_TOPICS.flatMap((x) => [`${topicPrefix}${x}`, `${topicPrefix}${x}.dlq`]);
  await admin
    .deleteTopics({ topics })
    .catch(() => undefined)
    .finally(() => admin.close());
}

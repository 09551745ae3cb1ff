/**
 * Creates Sluice's three topics (DESIGN.md "Topics": all keyed by node_id, same partition count).
 *
 * Idempotent: a topic that exists with the configured partition count is left alone. One that
 * exists with another count is an error, never "fixed": adding partitions moves node_ids to
 * other partitions, which breaks the per-file ordering consumers rely on while events of
 * in-progress uploads sit in the old partitions; that change needs a drained topic and an
 * operator. A replication factor that differs from the configured one is reported in the
 * result (and logged), not changed: reassignment does not move keys and is an operator's call.
 */
import { type Admin, findErrorBy } from '@platformatic/kafka';
import { FailedPreconditionError, UnavailableError } from '@sluice/errors';
import { EVENT_TOPICS, eventTopicName, type EventTopic } from '@sluice/schema-registry';
import type { Logger } from 'pino';

/** Options of {@link provisionTopics}. */
export interface ProvisionTopicsOptions {
  /** Partitions of each topic; the unit of consumer parallelism. */
  readonly partitions: number;
  /** Copies of each partition; 3 in production, 1 on a single local broker. */
  readonly replicationFactor: number;
  /** Put before each topic name (tests use a unique one). @default '' */
  readonly topicPrefix?: string;
  /** Put after every topic name, e.g. `.dlq` to provision the dead-letter topics. @default '' */
  readonly topicSuffix?: string;
  /**
   * Topic configs for created topics. `min.insync.replicas` defaults to
   * max(1, replicationFactor - 1), which is what makes acks=all survive one broker's loss.
   */
  readonly configs?: Readonly<Record<string, string>>;
  readonly logger?: Logger;
}

/** What {@link provisionTopics} found or did for one topic. */
export interface ProvisionedTopic {
  readonly topic: EventTopic;
  readonly name: string;
  readonly created: boolean;
  readonly partitions: number;
  readonly replicationFactor: number;
}

/**
 * Makes sure the three topics exist with `partitions` partitions.
 * @throws FailedPreconditionError CONFIG_INVALID when a topic exists with another partition count.
 * @throws UnavailableError EVENTS_UNAVAILABLE when Kafka cannot be reached or refuses.
 */
export async function provisionTopics(
  admin: Admin,
  options: ProvisionTopicsOptions,
): Promise<ProvisionedTopic[]> {
  const { partitions, replicationFactor } = options;
  if (!Number.isInteger(partitions) || partitions < 1) {
    throw new FailedPreconditionError(
      'CONFIG_INVALID',
      `topic partitions must be a positive integer, got ${partitions}`,
    );
  }
  if (!Number.isInteger(replicationFactor) || replicationFactor < 1) {
    throw new FailedPreconditionError(
      'CONFIG_INVALID',
      `topic replication factor must be a positive integer, got ${replicationFactor}`,
    );
  }
  const prefix = options.topicPrefix ?? '';
  const names = EVENT_TOPICS.map((topic) => `${eventTopicName(topic, prefix)}${options.topicSuffix ?? ''}`);
  const configs = {
    'min.insync.replicas': String(Math.max(1, replicationFactor - 1)),
    ...options.configs,
  };

  const existing = new Set(await kafkaCall('listing topics', () => admin.listTopics()));
  const missing = names.filter((name) => !existing.has(name));
  const created = new Set<string>();
  for (const name of missing) {
    try {
      await admin.createTopics({
        topics: [name],
        partitions,
        replicas: replicationFactor,
        configs: Object.entries(configs).map(([configName, value]) => ({ name: configName, value })),
      });
      created.add(name);
    } catch (error) {
      // Another replica created it first: fine, it is checked below like any existing topic.
      if (findErrorBy(error instanceof Error ? error : undefined, 'apiId', 'TOPIC_ALREADY_EXISTS') === null) {
        throw unavailable(`creating topic ${name}`, error);
      }
    }
  }

  const metadata = await waitForLeaders(admin, names);
  const result: ProvisionedTopic[] = [];
  for (const [index, name] of names.entries()) {
    const topic = metadata.get(name)!;
    const found: ProvisionedTopic = {
      topic: EVENT_TOPICS[index]!,
      name,
      created: created.has(name),
      partitions: topic.partitionsCount,
      replicationFactor: topic.partitions[0]?.replicas.length ?? 0,
    };
    if (found.partitions !== partitions) {
      throw new FailedPreconditionError(
        'CONFIG_INVALID',
        `topic ${name} has ${found.partitions} partitions but ${partitions} are configured: ` +
          'set the configured count to match, or drain the topic and change it deliberately ' +
          '(changing it moves node_ids to other partitions and breaks per-file ordering)',
        { details: { topic: name, partitions: found.partitions, configured: partitions } },
      );
    }
    if (found.replicationFactor !== replicationFactor) {
      options.logger?.warn(
        { topic: name, replicationFactor: found.replicationFactor, configured: replicationFactor },
        `topic ${name} has replication factor ${found.replicationFactor}, not the configured ${replicationFactor}; left as it is`,
      );
    }
    result.push(found);
  }
  return result;
}

type TopicMetadata = { partitionsCount: number; partitions: { leader: number; replicas: number[] }[] };

// A new topic's partitions have no leader for a moment; producers racing that get errors.
async function waitForLeaders(admin: Admin, names: string[]): Promise<Map<string, TopicMetadata>> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const metadata = await kafkaCall('reading topic metadata', () =>
      admin.metadata({ topics: names, forceUpdate: true }),
    );
    const topics = new Map<string, TopicMetadata>();
    let ready = true;
    for (const name of names) {
      const topic = metadata.topics.get(name);
      if (topic === undefined) {
        ready = false;
        continue;
      }
      topics.set(name, topic);
      if (topic.partitions.length !== topic.partitionsCount || topic.partitions.some((p) => p.leader < 0)) {
        ready = false;
      }
    }
    if (ready) return topics;
    if (Date.now() > deadline) {
      throw new UnavailableError(
        'EVENTS_UNAVAILABLE',
        `topics ${names.join(', ')} have no leader for every partition after 15 s: check the Kafka brokers' logs`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function kafkaCall<R>(what: string, work: () => Promise<R>): Promise<R> {
  try {
    return await work();
  } catch (error) {
    throw unavailable(what, error);
  }
}

function unavailable(what: string, error: unknown): UnavailableError {
  const message = error instanceof Error ? error.message : String(error);
  return new UnavailableError('EVENTS_UNAVAILABLE', `Kafka failed ${what}: ${message}`, { cause: error });
}

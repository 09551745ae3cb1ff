import { ListOffsetTimestamps, type Consumer } from '@platformatic/kafka';
import { UnavailableError } from '@sluice/errors';

/** The last record of one partition. */
export interface LatestRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly value: Buffer;
}

/**
 * The last record of every non-empty partition of `topics`, read with `consumer` (which the
 * caller closes) from offset end − 1 without committing anything.
 * @throws UnavailableError EVENTS_UNAVAILABLE when they are not all read within `timeoutMs`.
 */
export async function latestRecords(
  consumer: Consumer<Buffer, Buffer, Buffer, Buffer>,
  topics: readonly string[],
  timeoutMs = 15_000,
): Promise<LatestRecord[]> {
  const [ends, starts] = await Promise.all([
    consumer.listOffsets({ topics: [...topics] }),
    consumer.listOffsets({ topics: [...topics], timestamp: ListOffsetTimestamps.EARLIEST }),
  ]);
  const wanted = new Map<string, { topic: string; partition: number; offset: bigint }>();
  for (const topic of topics) {
    (ends.get(topic) ?? []).forEach((end, partition) => {
      if (end > (starts.get(topic)?.[partition] ?? 0n)) {
        wanted.set(`${topic}:${partition}`, { topic, partition, offset: end - 1n });
      }
    });
  }
  if (wanted.size === 0) return [];
  const stream = await consumer.consume({
    topics: [...topics],
    mode: 'manual',
    fallbackMode: 'latest',
    autocommit: false,
    maxWaitTime: 200,
    offsets: [...wanted.values()],
  });
  const found: LatestRecord[] = [];
  const timer = setTimeout(() => void stream.close(), timeoutMs);
  try {
    for await (const m of stream) {
      const key = `${m.topic}:${m.partition}`;
      if (m.offset === wanted.get(key)?.offset) {
        wanted.delete(key);
        found.push({
          topic: m.topic,
          partition: m.partition,
          offset: m.offset,
          value: m.value ?? Buffer.alloc(0),
        });
      }
      if (wanted.size === 0) break;
    }
  } finally {
    clearTimeout(timer);
    await stream.close();
  }
  if (wanted.size > 0) {
    throw new UnavailableError(
      'EVENTS_UNAVAILABLE',
      `the last records of ${[...wanted.keys()].join(', ')} could not be read within ${timeoutMs} ms: is Kafka up?`,
    );
  }
  return found;
}

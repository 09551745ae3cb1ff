/**
 * Event produce throughput with acks=all: Sluice's EventProducer against a bare
 * @platformatic/kafka producer with the same client settings, in the same run, against topics
 * with the same config on the local Kafka (`npm run infra -- up`).
 *
 *   bash infra/local/node.sh node bench/src/producer.ts [--events 20000] [--rounds 5] [--json]
 *
 * Events: ChunkEvent/UploadInitiated of about 1 KB encoded, 64 distinct node_ids. Sluice's side
 * pays for everything it does per event — Protobuf encoding, Apicurio framing, a new W3C
 * traceparent, Java-compatible partitioning, bounded queueing, metrics, one promise per event
 * — with `produce()` called for every event at once (its queue bounds what is pending). The
 * bare side does what a hand-written loop must: encodes each event with the same generated
 * code, sets the key and a new traceparent header, and sends batches of the same byte budget,
 * one request in flight. So the difference is what Sluice adds on top of encoding and sending.
 * Sluice can come out ahead: it encodes the next batch while the current one is in flight and
 * reuses one Protobuf writer, where the loop encodes, then waits. Both use idempotent, acks=all
 * producers built with identical options. After one untimed warm-up round each, rounds
 * alternate which side goes first; each figure is the median round.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import {
  Admin,
  compatibilityPartitioner,
  ProduceAcks,
  Producer,
  type MessageToProduce,
} from '@platformatic/kafka';
import { createKafkaProducer, EventProducer, newTraceparent } from '@sluice/kafka';
import { ChunkEvent } from '@sluice/proto';
import { createEventCodec, InMemorySchemaRegistry, type EventCodec } from '@sluice/schema-registry';
import { kafkaBrokers, requireServices } from '@sluice/testing';
import { Registry } from 'prom-client';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? Number(argv[at + 1]) : fallback;
};
const EVENTS = option('events', 20_000);
const ROUNDS = option('rounds', 5);
const PARTITIONS = 3;
const MAX_BATCH_BYTES = 768 * 1024;
const CLIENT = { brokers: kafkaBrokers(), timeoutMs: 10_000, retries: 5, retryDelayMs: 250 };

function event(index: number): ChunkEvent {
  return ChunkEvent.fromPartial({
    eventId: randomUUID(),
    uploadId: `upload-${index % 64}`,
    nodeId: `node-${index % 64}`,
    tenant: 'tenant-bench',
    drive: 'drive-bench',
    occurredAt: new Date(),
    event: {
      $case: 'uploadInitiated',
      value: {
        destination: {
          endpoint: 'https://s3.example.test',
          bucket: 'bench',
          key: `in/${index}.bin`,
          region: 'x',
        },
        filename: `${index}.bin`,
        mimeType: 'application/octet-stream',
        // Pads the encoded event to about 1 KB.
        metadata: { note: randomBytes(340).toString('hex') },
      },
    },
  });
}

async function runSluice(codec: EventCodec<'intake.chunks'>, events: readonly ChunkEvent[]): Promise<number> {
  const client = createKafkaProducer({ ...CLIENT, clientId: 'bench-sluice' });
  const producer = new EventProducer({
    producer: client,
    codec,
    metrics: new Registry(),
    maxBatchBytes: MAX_BATCH_BYTES,
  });
  try {
    await producer.produce(events[0]!); // connection, metadata and producer id, outside the clock
    const started = performance.now();
    await Promise.all(events.map((e) => producer.produce(e)));
    return performance.now() - started;
  } finally {
    await producer.close();
    await client.close();
  }
}

async function runBare(topic: string, events: readonly ChunkEvent[]): Promise<number> {
  const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({
    clientId: 'bench-bare',
    bootstrapBrokers: CLIENT.brokers,
    idempotent: true,
    acks: ProduceAcks.ALL,
    partitioner: compatibilityPartitioner,
    timeout: CLIENT.timeoutMs,
    retries: CLIENT.retries,
    retryDelay: CLIENT.retryDelayMs,
  });
  const traceKey = Buffer.from('traceparent');
  // What a hand-written producer does per event: encode it, give it a key and a traceparent.
  const message = (e: ChunkEvent): MessageToProduce<Buffer, Buffer, Buffer, Buffer> => {
    const encoded = ChunkEvent.encode(e).finish();
    return {
      topic,
      key: Buffer.from(e.nodeId),
      value: Buffer.from(encoded.buffer, encoded.byteOffset, encoded.byteLength),
      headers: new Map([[traceKey, Buffer.from(newTraceparent())]]),
    };
  };
  try {
    await producer.send({ messages: [message(events[0]!)] });
    const started = performance.now();
    let batch: MessageToProduce<Buffer, Buffer, Buffer, Buffer>[] = [];
    let bytes = 0;
    for (const e of events) {
      const next = message(e);
      const size = next.value!.length + next.key!.length + 100;
      if (batch.length > 0 && (bytes + size > MAX_BATCH_BYTES || batch.length >= 1000)) {
        await producer.send({ messages: batch });
        batch = [];
        bytes = 0;
      }
      batch.push(next);
      bytes += size;
    }
    await producer.send({ messages: batch });
    return performance.now() - started;
  } finally {
    await producer.close();
  }
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

await requireServices(['kafka']);
const admin = new Admin({ clientId: 'bench-admin', bootstrapBrokers: CLIENT.brokers });
const topics = { sluice: `bench-sluice-${randomUUID()}`, bare: `bench-bare-${randomUUID()}` };
await admin.createTopics({ topics: Object.values(topics), partitions: PARTITIONS, replicas: 1 });
try {
  const codec = await createEventCodec(new InMemorySchemaRegistry(), 'intake.chunks', {
    topicName: topics.sluice,
  });
  const events = Array.from({ length: EVENTS }, (_, i) => event(i));
  const averageBytes = events.reduce((sum, e) => sum + codec.encode(e).length, 0) / events.length;
  // Let the new topics' leaders settle before timing anything.
  await new Promise((resolve) => setTimeout(resolve, 1000));

  // One untimed round of each warms the JIT on both code paths.
  await runSluice(codec, events);
  await runBare(topics.bare, events);

  const rates: { sluice: number[]; bare: number[] } = { sluice: [], bare: [] };
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['sluice', 'bare'] as const) : (['bare', 'sluice'] as const);
    for (const side of order) {
      const ms = side === 'sluice' ? await runSluice(codec, events) : await runBare(topics.bare, events);
      rates[side].push(EVENTS / (ms / 1000));
    }
  }
  const sluice = median(rates.sluice);
  const bare = median(rates.bare);
  const ratio = sluice / bare;
  const verdict =
    ratio >= 1
      ? `Sluice ${((ratio - 1) * 100).toFixed(1)}% faster`
      : `Sluice overhead ${((1 - ratio) * 100).toFixed(1)}%`;
  console.log(
    `Node ${process.versions.node}; ${EVENTS} events of ~${Math.round(averageBytes)} B per run, acks=all, idempotent, ` +
      `${PARTITIONS} partitions, ${ROUNDS} rounds (alternating order), medians:`,
  );
  console.log(`  bare @platformatic/kafka  ${Math.round(bare).toLocaleString('en')} events/s`);
  console.log(`  Sluice EventProducer      ${Math.round(sluice).toLocaleString('en')} events/s`);
  console.log(`  Sluice / bare = ${ratio.toFixed(3)}  (${verdict}; target: overhead ≤ 10%)`);
  console.log(
    `  rounds: sluice ${rates.sluice.map((r) => Math.round(r)).join(', ')}; bare ${rates.bare.map((r) => Math.round(r)).join(', ')}`,
  );
  if (argv.includes('--json')) {
    console.log(
      JSON.stringify({ events: EVENTS, eventBytes: averageBytes, rounds: rates, sluice, bare, ratio }),
    );
  }
} finally {
  await admin.deleteTopics({ topics: Object.values(topics) }).catch(() => undefined);
  await admin.close();
}

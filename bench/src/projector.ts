/**
 * Projector throughput: events per second folded into MariaDB, on the local services
 * (`npm run infra -- up`).
 *
 *   bash infra/local/node.sh node bench/src/projector.ts [--uploads 5000] [--batch 2000] [--peer 2000] [--json]
 *
 * Events: synthetic histories of `--uploads` uploads ending every way (initiated, 3–5 chunks,
 * one forced replacement in four, sealed, parts, all-parts-stored, the ending), about 11 events
 * an upload, one in five emitted twice, spread over 3 partitions per topic. They are produced
 * into fresh topics first, untimed. Three figures, each into a fresh database:
 * - end to end: the real projector process (apps/projector/src/main.ts) reading the three
 *   topics from Kafka, decoding, folding and committing with its offsets; timed from its first
 *   committed batch to its last, so process start and group join are left out;
 * - store only: the same records, decoded beforehand, written by MysqlProjectionStore in
 *   batches of `--batch` — the ceiling the transaction design allows;
 * - peer: the first `--peer` records written one per transaction, as a per-record handler
 *   (a StreamProcessor with the offset in the same transaction) would; the claim is the ratio.
 * Results go to bench/results/projector.json.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { EventBackbone } from '@sluice/kafka';
import {
  migrate,
  MysqlProjectionStore,
  syntheticUpload,
  toProjectionEvent,
  type ProjectionRecord,
  type SyntheticEvent,
  type SyntheticOutcome,
} from '@sluice/projection';
import { EVENT_TOPICS } from '@sluice/schema-registry';
import { kafkaAdmin, kafkaBrokers, requireServices, serviceUrl, uniqueName } from '@sluice/testing';
import mysql, { type Pool } from 'mysql2/promise';
import { pino } from 'pino';
import { Registry } from 'prom-client';

const argv = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? Number(argv[at + 1]) : fallback;
};
const UPLOADS = option('uploads', 5000);
const BATCH = option('batch', 2000);
const PEER = option('peer', 2000);
const PARTITIONS = 3;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const logger = pino({ level: 'warn' });

function histories(): SyntheticEvent[] {
  const outcomes: SyntheticOutcome[] = ['completed', 'completed', 'failed', 'aborted', 'expired', 'open'];
  const out: SyntheticEvent[] = [];
  for (let i = 0; i < UPLOADS; i++) {
    const events = syntheticUpload({
      uploadId: `bench-${i}`,
      tenant: `tenant-${i % 7}`,
      drive: 'main',
      outcome: outcomes[i % outcomes.length]!,
      chunks: 3 + (i % 3),
      chunkSize: 1024 * 1024,
      replaceChunk: i % 4 === 0,
      start: new Date(Date.UTC(2026, 0, 1) + i * 10),
    }).events;
    events.forEach((e, n) => {
      out.push(e);
      if ((i + n) % 5 === 0) out.push(e);
    });
  }
  return out;
}

async function produceAll(backbone: EventBackbone, events: readonly SyntheticEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 5000) {
    await Promise.all(
      events.slice(i, i + 5000).map((e) => {
        switch (e.topic) {
          case 'intake.chunks':
            return backbone.producer('intake.chunks').produce(e.envelope);
          case 'intake.parts':
            return backbone.producer('intake.parts').produce(e.envelope);
          case 'intake.uploads':
            return backbone.producer('intake.uploads').produce(e.envelope);
        }
      }),
    );
  }
}

/** The records as the projector reads them: each topic's events in order, spread over partitions by upload. */
function records(events: readonly SyntheticEvent[], prefix: string): ProjectionRecord[] {
  const next = new Map<string, bigint>();
  return events.map((e) => {
    const partition = Number(e.envelope.uploadId.slice(6)) % PARTITIONS;
    const key = `${prefix}${e.topic}:${partition}`;
    const offset = next.get(key) ?? 0n;
    next.set(key, offset + 1n);
    return {
      topic: `${prefix}${e.topic}`,
      partition,
      offset,
      event: toProjectionEvent(e.topic, e.envelope, new Date(0)),
    };
  });
}

const databases: string[] = [];
const admin = await mysql.createConnection({ uri: serviceUrl('mysql') });

async function freshDatabase(): Promise<{ url: string; pool: Pool }> {
  const name = uniqueName('bench_proj').replaceAll('-', '_');
  await admin.query(`CREATE DATABASE \`${name}\``);
  databases.push(name);
  const url = new URL(serviceUrl('mysql'));
  url.pathname = `/${name}`;
  const pool = mysql.createPool({ uri: url.toString(), connectionLimit: 4 });
  await migrate(pool);
  return { url: url.toString(), pool };
}

async function storeRate(all: readonly ProjectionRecord[], batch: number): Promise<number> {
  const { pool } = await freshDatabase();
  try {
    const store = new MysqlProjectionStore({ pool, groupId: 'bench' });
    const started = performance.now();
    for (let i = 0; i < all.length; i += batch) await store.apply(all.slice(i, i + batch));
    return all.length / ((performance.now() - started) / 1000);
  } finally {
    await pool.end();
  }
}

async function endToEndRate(prefix: string, total: number): Promise<{ rate: number; seconds: number }> {
  const { url, pool } = await freshDatabase();
  const groupId = `${prefix}projector`;
  const child = spawn(process.execPath, ['apps/projector/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      SLUICE_TOPIC_PREFIX: prefix,
      SLUICE_KAFKA_PARTITIONS: String(PARTITIONS),
      SLUICE_MYSQL_URL: url,
      SLUICE_PROJECTOR_GROUP_ID: groupId,
      SLUICE_PROJECTOR_HTTP_PORT: '0',
      SLUICE_PROJECTOR_BATCH_SIZE: String(BATCH),
      SLUICE_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    const store = new MysqlProjectionStore({ pool, groupId });
    const count = async (): Promise<number> =>
      Number((await store.positions()).reduce((s, p) => s + p.nextOffset, 0n));
    const deadline = Date.now() + 300_000;
    let first: { at: number; count: number } | undefined;
    for (;;) {
      if (Date.now() > deadline) throw new Error('the projector did not finish in 5 minutes');
      const n = await count();
      const now = performance.now();
      if (n > 0 && !first) first = { at: now, count: n };
      if (n >= total && first) {
        const seconds = (now - first.at) / 1000;
        return { rate: (total - first.count) / seconds, seconds };
      }
      await sleep(20);
    }
  } finally {
    child.kill('SIGTERM');
    await once(child, 'exit');
    await pool.end();
  }
}

await requireServices(['kafka', 'apicurio', 'mysql']);
const prefix = `${uniqueName('bench-proj')}.`;
const backbone = await EventBackbone.connect({
  brokers: kafkaBrokers(),
  registryUrl: serviceUrl('apicurio'),
  topicPrefix: prefix,
  partitions: PARTITIONS,
  clientId: 'bench-projector',
  logger,
  metrics: new Registry(),
});
try {
  const events = histories();
  await produceAll(backbone, events);
  const all = records(events, prefix);
  console.log(
    `Node ${process.versions.node}; ${UPLOADS} uploads, ${events.length} events, batches of ${BATCH}:`,
  );

  const e2e = await endToEndRate(prefix, events.length);
  console.log(
    `  end to end (Kafka → projector process → MariaDB)  ${Math.round(e2e.rate).toLocaleString('en')} events/s`,
  );
  const store = await storeRate(all, BATCH);
  console.log(
    `  store only (decoded records, batches of ${BATCH})     ${Math.round(store).toLocaleString('en')} events/s`,
  );
  const peer = await storeRate(all.slice(0, PEER), 1);
  console.log(
    `  peer: one event per transaction (${PEER} events)     ${Math.round(peer).toLocaleString('en')} events/s`,
  );
  console.log(
    `  batched / per-event = ${(store / peer).toFixed(1)}; end to end ${e2e.rate >= 5000 ? 'meets' : 'misses'} the 5,000 events/s target`,
  );
  const result = {
    machine: {
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      date: new Date().toISOString(),
    },
    uploads: UPLOADS,
    events: events.length,
    batch: BATCH,
    endToEndEventsPerSecond: e2e.rate,
    endToEndSeconds: e2e.seconds,
    storeEventsPerSecond: store,
    perEventTransactionEventsPerSecond: peer,
    batchedOverPerEvent: store / peer,
  };
  mkdirSync(`${ROOT}bench/results`, { recursive: true });
  writeFileSync(`${ROOT}bench/results/projector.json`, `${JSON.stringify(result, null, 2)}\n`);
  if (argv.includes('--json')) console.log(JSON.stringify(result));
} finally {
  await backbone.close();
  const kafka = kafkaAdmin();
  await kafka
    .deleteTopics({ topics: EVENT_TOPICS.flatMap((t) => [`${prefix}${t}`, `${prefix}${t}.dlq`]) })
    .catch(() => undefined)
    .finally(() => kafka.close());
  for (const name of databases)
    await admin.query(`DROP DATABASE IF EXISTS \`${name}\``).catch(() => undefined);
  await admin.end();
}

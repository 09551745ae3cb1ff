/**
 * Projector throughput: events per second folded into each projection store, MariaDB and
 * PostgreSQL, on the local services (`npm run infra -- up`).
 *
 *   bash infra/local/node.sh node bench/src/projector.ts [--stores mysql,postgres] [--uploads 5000]
 *     [--batch 2000] [--peer 2000] [--quick] [--json]
 *
 * Events: synthetic histories of `--uploads` uploads ending every way (initiated, 3–5 chunks,
 * one forced replacement in four, sealed, parts, all-parts-stored, the ending), about 11 events
 * an upload, one in five emitted twice, spread over 3 partitions per topic. They are produced
 * into fresh topics first, untimed. Three figures per store, each into a fresh database of the
 * bench's own on that store's server (dropped at the end):
 * - end to end: the real projector process (apps/projector/src/main.ts, given the database as
 *   SLUICE_DATABASE_URL) reading the three topics from Kafka, decoding, folding and committing
 *   with its offsets; timed from its first committed batch to its last, so process start and
 *   group join are left out;
 * - store only: the same records, decoded beforehand, written by the store in batches of
 *   `--batch` — the ceiling the transaction design allows;
 * - peer: the first `--peer` records written one per transaction, as a per-record handler
 *   (a StreamProcessor with the offset in the same transaction) would; the claim is the ratio.
 * The stores run one after the other on the same topics, each projector in a consumer group of
 * its own, and are reported side by side with PostgreSQL ÷ MySQL for each figure.
 * `--quick` is a smoke run (500 uploads, 300 peer events) that writes no results file;
 * otherwise results go to bench/results/projector.json: the MySQL figures under the keys they
 * have always had, every store's under `byStore`, and the ratios under `postgresOverMysql`.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { EventBackbone } from '@sluice/kafka';
import {
  syntheticUpload,
  toProjectionEvent,
  type ProjectionRecord,
  type SyntheticEvent,
  type SyntheticOutcome,
} from '@sluice/projection';
import { EVENT_TOPICS } from '@sluice/schema-registry';
import { kafkaAdmin, kafkaBrokers, requireServices, serviceUrl, uniqueName } from '@sluice/testing';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { ScratchDatabases, STORES, type StoreName } from './lib/scratch-databases.ts';

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const option = (name: string, fallback: number): number => {
  const at = argv.indexOf(`--${name}`);
  return at >= 0 ? Number(argv[at + 1]) : fallback;
};
function storesOption(): StoreName[] {
  const at = argv.indexOf('--stores');
  const raw = at >= 0 ? (argv[at + 1] ?? '') : STORES.join(',');
  const names = raw.split(',').filter((s) => s !== '');
  const unknown = names.filter((s) => !(STORES as readonly string[]).includes(s));
  if (names.length === 0 || unknown.length > 0) {
    console.error(`--stores ${raw}: name one or more of ${STORES.join(', ')}, separated by commas`);
    process.exit(2);
  }
  return STORES.filter((s) => names.includes(s));
}
const UPLOADS = option('uploads', QUICK ? 500 : 5000);
const BATCH = option('batch', 2000);
const PEER = option('peer', QUICK ? 300 : 2000);
const STORE_NAMES = storesOption();
const PARTITIONS = 3;
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TITLE: Readonly<Record<StoreName, string>> = { mysql: 'MariaDB', postgres: 'PostgreSQL' };
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

async function storeRate(
  databases: ScratchDatabases,
  all: readonly ProjectionRecord[],
  batch: number,
): Promise<number> {
  const { db } = await databases.create();
  try {
    const store = db.store('bench');
    const started = performance.now();
    for (let i = 0; i < all.length; i += batch) await store.apply(all.slice(i, i + batch));
    return all.length / ((performance.now() - started) / 1000);
  } finally {
    await db.close();
  }
}

async function endToEndRate(
  databases: ScratchDatabases,
  groupId: string,
  prefix: string,
  total: number,
): Promise<{ rate: number; seconds: number }> {
  const { url, db } = await databases.create();
  const child = spawn(process.execPath, ['apps/projector/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      SLUICE_TOPIC_PREFIX: prefix,
      SLUICE_KAFKA_PARTITIONS: String(PARTITIONS),
      SLUICE_DATABASE_URL: url,
      SLUICE_PROJECTOR_GROUP_ID: groupId,
      SLUICE_PROJECTOR_HTTP_PORT: '0',
      SLUICE_PROJECTOR_BATCH_SIZE: String(BATCH),
      SLUICE_LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  try {
    const store = db.store(groupId);
    const count = async (): Promise<number> =>
      Number((await store.positions()).reduce((s, p) => s + p.nextOffset, 0n));
    const deadline = Date.now() + 300_000;
    let first: { at: number; count: number } | undefined;
    for (;;) {
      if (Date.now() > deadline) throw new Error('the projector did not finish in 5 minutes');
      if (child.exitCode !== null) throw new Error(`the projector exited with code ${child.exitCode}`);
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
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    await db.close();
  }
}

/** One store's figures, in events/s. */
interface StoreFigures {
  readonly endToEndEventsPerSecond: number;
  readonly endToEndSeconds: number;
  readonly storeEventsPerSecond: number;
  readonly perEventTransactionEventsPerSecond: number;
  readonly batchedOverPerEvent: number;
}

async function measure(
  name: StoreName,
  prefix: string,
  all: readonly ProjectionRecord[],
): Promise<StoreFigures> {
  const databases = new ScratchDatabases(name, 'bench_proj');
  try {
    const e2e = await endToEndRate(databases, `${prefix}projector-${name}`, prefix, all.length);
    const store = await storeRate(databases, all, BATCH);
    const peer = await storeRate(databases, all.slice(0, PEER), 1);
    return {
      endToEndEventsPerSecond: e2e.rate,
      endToEndSeconds: e2e.seconds,
      storeEventsPerSecond: store,
      perEventTransactionEventsPerSecond: peer,
      batchedOverPerEvent: store / peer,
    };
  } finally {
    await databases.close();
  }
}

function report(figures: Partial<Record<StoreName, StoreFigures>>): void {
  const names = STORE_NAMES.filter((n) => figures[n]);
  const both = figures.mysql && figures.postgres;
  const rate = (n: number): string => Math.round(n).toLocaleString('en');
  const row = (
    label: string,
    cell: (f: StoreFigures) => string,
    ratio?: (f: StoreFigures) => number,
  ): string =>
    `  ${label.padEnd(50)}${names.map((n) => cell(figures[n]!).padStart(12)).join('')}` +
    (both && ratio ? `${(ratio(figures.postgres!) / ratio(figures.mysql!)).toFixed(2).padStart(12)}` : '');
  console.log(
    `  ${'events/s'.padEnd(50)}${names.map((n) => TITLE[n].padStart(12)).join('')}${both ? 'pg ÷ mysql'.padStart(12) : ''}`,
  );
  console.log(
    row(
      'end to end (Kafka → projector process → store)',
      (f) => rate(f.endToEndEventsPerSecond),
      (f) => f.endToEndEventsPerSecond,
    ),
  );
  console.log(
    row(
      `store only (decoded records, batches of ${BATCH})`,
      (f) => rate(f.storeEventsPerSecond),
      (f) => f.storeEventsPerSecond,
    ),
  );
  console.log(
    row(
      `peer: one event per transaction (${PEER} events)`,
      (f) => rate(f.perEventTransactionEventsPerSecond),
      (f) => f.perEventTransactionEventsPerSecond,
    ),
  );
  console.log(row('batched / per-event', (f) => f.batchedOverPerEvent.toFixed(1)));
  console.log(
    `  end to end against the 5,000 events/s target: ${names
      .map((n) => `${TITLE[n]} ${figures[n]!.endToEndEventsPerSecond >= 5000 ? 'meets' : 'misses'}`)
      .join(', ')}`,
  );
}

await requireServices(['kafka', 'apicurio', ...STORE_NAMES]);
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
  const load = loadavg();
  console.log(
    `Node ${process.versions.node}; ${UPLOADS} uploads, ${events.length} events, batches of ${BATCH}; ` +
      `load average ${load.map((l) => l.toFixed(2)).join(' ')}${QUICK ? ' (quick: no results file)' : ''}:`,
  );

  const byStore: Partial<Record<StoreName, StoreFigures>> = {};
  for (const name of STORE_NAMES) byStore[name] = await measure(name, prefix, all);
  report(byStore);

  const { mysql: my, postgres: pg } = byStore;
  const result = {
    machine: {
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      date: new Date().toISOString(),
      loadAverageAtStart: load,
      loadAverageAtEnd: loadavg(),
    },
    uploads: UPLOADS,
    events: events.length,
    batch: BATCH,
    peer: PEER,
    stores: STORE_NAMES,
    // MySQL's figures keep the top-level keys they had before PostgreSQL was measured.
    ...my,
    byStore,
    ...(my && pg
      ? {
          postgresOverMysql: {
            endToEnd: pg.endToEndEventsPerSecond / my.endToEndEventsPerSecond,
            store: pg.storeEventsPerSecond / my.storeEventsPerSecond,
            perEventTransaction:
              pg.perEventTransactionEventsPerSecond / my.perEventTransactionEventsPerSecond,
          },
        }
      : {}),
  };
  if (!QUICK) {
    mkdirSync(`${ROOT}bench/results`, { recursive: true });
    writeFileSync(`${ROOT}bench/results/projector.json`, `${JSON.stringify(result, null, 2)}\n`);
  }
  if (argv.includes('--json')) console.log(JSON.stringify(result));
} finally {
  await backbone.close();
  const kafka = kafkaAdmin();
  await kafka
    .deleteTopics({ topics: EVENT_TOPICS.flatMap((t) => [`${prefix}${t}`, `${prefix}${t}.dlq`]) })
    .catch(() => undefined)
    .finally(() => kafka.close());
}

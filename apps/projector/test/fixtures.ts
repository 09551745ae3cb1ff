/**
 * Integration fixtures: a backbone on topics of the test's own, a migrated database of the
 * test's own, synthetic upload histories produced as the upstream apps would, and a wait for
 * the projection to catch up with the topics.
 */
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventBackbone } from '@sluice/kafka';
import {
  MemoryProjection,
  migrate,
  MysqlProjectionStore,
  openProjectionDatabase,
  readPostgresProjection,
  readProjection,
  syntheticUpload,
  toProjectionEvent,
  type PartitionPosition,
  type ProjectionDatabase,
  type SyntheticEvent,
  type SyntheticOutcome,
} from '@sluice/projection';
import { EVENT_TOPICS } from '@sluice/schema-registry';
import {
  createDatabase,
  createPostgresDatabase,
  kafkaAdmin,
  kafkaBrokers,
  requireServices,
  serviceUrl,
  uniqueName,
  type TestDatabase,
} from '@sluice/testing';
import mysql, { type Pool, type RowDataPacket } from 'mysql2/promise';
import { pino } from 'pino';
import { Registry } from 'prom-client';

export const silent = pino({ level: 'silent' });

/** A backbone on topics named for this test (deleted after it, with their dead-letter topics). */
export async function connectBackbone(
  t: TestContext,
  partitions = 3,
): Promise<EventBackbone & { prefix: string }> {
  await requireServices(['kafka', 'apicurio', 'mysql']);
  const prefix = `${uniqueName('pj')}.`;
  t.after(async () => {
    const admin = kafkaAdmin();
    const topics = EVENT_TOPICS.flatMap((x) => [`${prefix}${x}`, `${prefix}${x}.dlq`]);
    await admin.deleteTopics({ topics }).finally(() => admin.close());
  });
  const backbone = await EventBackbone.connect({
    brokers: kafkaBrokers(),
    registryUrl: serviceUrl('apicurio'),
    topicPrefix: prefix,
    partitions,
    clientId: 'projector-test',
    logger: silent,
    metrics: new Registry(),
  });
  t.after(() => backbone.close());
  return Object.assign(backbone, { prefix });
}

/** A migrated database of this test's own and a pool on it. */
export async function projectionDatabase(t: TestContext): Promise<TestDatabase & { pool: Pool }> {
  const db = await createDatabase(t, { prefix: 'pj' });
  const pool = mysql.createPool({ uri: db.url, connectionLimit: 4 });
  t.after(() => pool.end());
  await migrate(pool);
  return { ...db, pool };
}

/** The databases the projector runs on. */
export const DATABASE_KINDS: readonly ProjectionDatabase['kind'][] = ['mysql', 'postgres'];

/**
 * A migrated projection database of this test's own, MySQL or PostgreSQL, opened as the
 * projector opens it, and what tests look at besides the public API.
 */
export interface TestProjection {
  readonly kind: ProjectionDatabase['kind'];
  /** The database's name. */
  readonly name: string;
  readonly url: string;
  readonly db: ProjectionDatabase;
  /** The rows of a statement without parameters, as the driver gives them. */
  rows(sql: string): Promise<Record<string, unknown>[]>;
  /** Every row of uploads, chunks and parts. */
  read(): Promise<MemoryProjection>;
  /** Names of the server's databases that start with `prefix`. */
  databases(prefix: string): Promise<string[]>;
  /** Another database on the same server, empty and not migrated (dropped after the test). */
  another(prefix: string): Promise<{ readonly name: string; read(): Promise<MemoryProjection> }>;
}

/** A {@link TestProjection} on the server of `kind`. */
export async function testProjection(
  t: TestContext,
  kind: ProjectionDatabase['kind'],
): Promise<TestProjection> {
  await requireServices([kind]);
  if (kind === 'mysql') {
    const created = await createDatabase(t, { prefix: 'pj' });
    const db = openTestDatabase(t, created.url);
    await db.migrate();
    const rows = async (sql: string): Promise<Record<string, unknown>[]> =>
      (await created.connection.query<RowDataPacket[]>(sql))[0];
    return {
      kind,
      name: created.database,
      url: created.url,
      db,
      rows,
      read: () => readProjection(created.connection),
      databases: async (prefix) =>
        (await rows('SHOW DATABASES'))
          .map((r) => String(Object.values(r)[0]))
          .filter((n) => n.startsWith(prefix)),
      async another(prefix) {
        const other = await createDatabase(t, { prefix });
        return { name: other.database, read: () => readProjection(other.connection) };
      },
    };
  }
  const created = await createPostgresDatabase(t, { prefix: 'pj' });
  const db = openTestDatabase(t, created.url);
  await db.migrate();
  if (db.kind !== 'postgres') throw new Error(`${created.url} opened as ${db.kind}`);
  const pool = db.pool;
  const rows = async (sql: string): Promise<Record<string, unknown>[]> =>
    (await pool.query<Record<string, unknown>>(sql)).rows;
  return {
    kind,
    name: created.name,
    url: created.url,
    db,
    rows,
    read: () => readPostgresProjection(pool),
    databases: async (prefix) =>
      (await rows('SELECT datname FROM pg_database'))
        .map((r) => String(r['datname']))
        .filter((n) => n.startsWith(prefix)),
    async another(prefix) {
      const other = await createPostgresDatabase(t, { prefix });
      const opened = openTestDatabase(t, other.url);
      if (opened.kind !== 'postgres') throw new Error(`${other.url} opened as ${opened.kind}`);
      return { name: other.name, read: () => readPostgresProjection(opened.pool) };
    },
  };
}

function openTestDatabase(t: TestContext, url: string): ProjectionDatabase {
  const db = openProjectionDatabase(url, { mysql: { connectionLimit: 4 }, postgres: { max: 4 } });
  t.after(() => db.close());
  return db;
}

/**
 * Histories of `count` uploads ending every way there is, in the order each producer would
 * write them, plus copies of some events re-emitted later (same id, later time), as a
 * producer does after a crash.
 */
export function mixedUploads(
  count: number,
  options: { chunks?: number; copies?: boolean } = {},
): SyntheticEvent[] {
  const outcomes: SyntheticOutcome[] = ['completed', 'failed', 'aborted', 'expired', 'completed', 'open'];
  const events: SyntheticEvent[] = [];
  for (let i = 0; i < count; i++) {
    const history = syntheticUpload({
      uploadId: `up-${String(i).padStart(4, '0')}`,
      tenant: `tenant-${i % 3}`,
      drive: i % 2 ? 'main' : 'archive',
      outcome: outcomes[i % outcomes.length]!,
      chunks: (options.chunks ?? 3) + (i % 3),
      chunkSize: 4096,
      replaceChunk: i % 4 === 0,
      start: new Date(Date.UTC(2026, 5, 1) + i * 997),
    }).events;
    for (const [n, e] of history.entries()) {
      events.push(e);
      // Every fifth event is emitted again a little later.
      if (options.copies !== false && (i + n) % 5 === 0) events.push(copyLater(e, 1500));
    }
  }
  return events;
}

function copyLater(e: SyntheticEvent, ms: number): SyntheticEvent {
  const occurredAt = new Date((e.envelope.occurredAt ?? new Date(0)).getTime() + ms);
  switch (e.topic) {
    case 'intake.chunks':
      return { topic: e.topic, envelope: { ...e.envelope, occurredAt } };
    case 'intake.parts':
      return { topic: e.topic, envelope: { ...e.envelope, occurredAt } };
    case 'intake.uploads':
      return { topic: e.topic, envelope: { ...e.envelope, occurredAt } };
  }
}

/** Produces `events` through the backbone, each topic in the given order, all topics at once. */
export async function produce(backbone: EventBackbone, events: readonly SyntheticEvent[]): Promise<void> {
  await Promise.all(
    events.map((e) => {
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

/** What the database must hold for `events`: their fold in memory. */
export function expectedProjection(events: readonly SyntheticEvent[]): MemoryProjection {
  return new MemoryProjection().apply(events.map((e) => toProjectionEvent(e.topic, e.envelope, new Date(0))));
}

/** The end offsets of the backbone's topics, per `topic:partition`. */
export async function endOffsets(backbone: EventBackbone): Promise<Map<string, bigint>> {
  const consumer = backbone.consumer(uniqueName('ends'));
  try {
    const ends = await consumer.listOffsets({ topics: Object.values(backbone.topics) });
    const out = new Map<string, bigint>();
    for (const [topic, partitions] of ends) partitions.forEach((end, p) => out.set(`${topic}:${p}`, end));
    return out;
  } finally {
    await consumer.close(true);
  }
}

/** A MySQL pool on a projection, or a projection database of either kind. */
export type PositionSource = Pool | ProjectionDatabase;

function positions(from: PositionSource, groupId: string): Promise<PartitionPosition[]> {
  return 'store' in from
    ? from.store(groupId).positions()
    : new MysqlProjectionStore({ pool: from, groupId }).positions();
}

/** Sum of the stored next offsets of `groupId`. */
export async function projectedCount(from: PositionSource, groupId: string): Promise<bigint> {
  return (await positions(from, groupId)).reduce((sum, p) => sum + p.nextOffset, 0n);
}

/** Waits until the stored positions of `groupId` reach every partition's end. */
export async function waitProjected(
  from: PositionSource,
  groupId: string,
  backbone: EventBackbone,
  timeoutMs = 45_000,
): Promise<void> {
  const ends = await endOffsets(backbone);
  const total = [...ends.values()].reduce((a, b) => a + b, 0n);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stored = await positions(from, groupId);
    const done = [...ends].every(
      ([key, end]) =>
        end === 0n || stored.some((p) => `${p.topic}:${p.partition}` === key && p.nextOffset >= end),
    );
    if (done) return;
    if (Date.now() > deadline) {
      throw new Error(
        `the projection reached ${await projectedCount(from, groupId)} of ${total} records in ${timeoutMs} ms`,
      );
    }
    await sleep(100);
  }
}

/** Everything a projection holds, in a form deepEqual compares regardless of order. */
export function snapshot(p: MemoryProjection): unknown {
  const sorted = <T>(m: Map<string, T>): [string, T][] =>
    [...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  return { uploads: sorted(p.uploads), chunks: sorted(p.chunks), parts: sorted(p.parts) };
}

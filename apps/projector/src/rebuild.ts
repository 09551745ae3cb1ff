/**
 * `projector rebuild`: replays the topics from their beginning into a fresh database and
 * compares the result with the live projection, row by row.
 *
 * The live projection moves while the rebuild runs, so the two are compared at one point:
 * 1. replay up to the live positions as they are when the rebuild starts (the long part);
 * 2. open a consistent snapshot of the live database and read its positions there;
 * 3. replay the few records between (1) and (2), so the rebuilt positions equal the
 *    snapshot's exactly;
 * 4. compare the tables, the live side read inside the snapshot.
 * Replay stops at the live positions, not at the ends of the topics: records the live
 * projector has not reached yet are in neither. Replay needs the whole history, so it
 * refuses to start when a topic no longer holds its beginning (retention must be unlimited).
 *
 * The rebuilt database goes by the live one's name plus `_rebuild_<time>`, on the same server,
 * and is dropped afterwards, unless `--keep`, or `--into` names one (which must hold no tables
 * yet). The same on MySQL/MariaDB and PostgreSQL; what differs is how a database is made and
 * dropped (on PostgreSQL from a session on the live database, CREATE DATABASE outside a
 * transaction, DROP … WITH (FORCE)) and how the snapshot is taken (`openSnapshot`).
 */
import { randomUUID } from 'node:crypto';
import { ListOffsetTimestamps } from '@platformatic/kafka';
import {
  compareProjections,
  comparisonReader,
  openProjectionDatabase,
  openSnapshot,
  type PartitionPosition,
  type ProjectionDatabase,
  type ProjectionStore,
  type RowDifference,
} from '@sluice/projection';
import type { EventBackbone } from '@sluice/kafka';
import type { MysqlSsl } from '@sluice/startup';
import type { RowDataPacket } from 'mysql2/promise';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { KafkaBatchSource } from './batch-source.ts';
import { BatchWriter } from './batch-writer.ts';
import { projectorMetrics } from './metrics.ts';
import { RecordDecoder } from './record-decoder.ts';

/** What {@link runRebuild} needs. */
export interface RebuildOptions {
  /** The live projection's database. */
  readonly live: ProjectionDatabase;
  /** The live database's URL (SLUICE_DATABASE_URL): the rebuilt database lives on the same server. */
  readonly url: string;
  /** TLS of the database connections, as the live pool has it (either database). */
  readonly tls?: { readonly ssl?: MysqlSsl };
  readonly backbone: EventBackbone;
  /** The live projector's group (its positions are compared too). */
  readonly groupId: string;
  readonly maxRecords: number;
  readonly maxWaitMs: number;
  /** Rebuild into this database (created when missing; must hold no tables). */
  readonly into?: string;
  /** Keep the rebuilt database. @default false (dropped, unless `into` was given) */
  readonly keep?: boolean;
  /** Differences printed in detail. @default 50 */
  readonly maxDifferences?: number;
  /** How long the replay waits on a partition that gets no records before checking it can still finish. @default 5000 */
  readonly idleCheckMs?: number;
  readonly logger: Logger;
  /** Where the report goes, line by line. */
  readonly out: (line: string) => void;
}

/** A failure that stops the rebuild before it can compare (exit code 2). */
class RebuildError extends Error {}

/** `mysql://user:pass@host:port/db` → `host:port/db`, for messages. */
export function withoutCredentials(url: string): string {
  const u = new URL(url);
  return `${u.host}${u.pathname}`;
}

/** The longest database name: MySQL's 64 characters, PostgreSQL's 63 bytes (it cuts longer ones short). */
const MAX_NAME = { mysql: 64, postgres: 63 } as const;

/** Runs the rebuild and prints its report; resolves with the exit code (0 same, 1 different, 2 failed). */
export async function runRebuild(o: RebuildOptions): Promise<number> {
  const liveName = decodeURIComponent(new URL(o.url).pathname.slice(1));
  const target =
    o.into ??
    `${liveName}_rebuild_${new Date()
      .toISOString()
      .replace(/[-:TZ.]/g, '')
      .slice(0, 14)}`;
  if (!/^[A-Za-z0-9_]+$/.test(target) || target.length > MAX_NAME[o.live.kind] || target === liveName) {
    o.out(
      `rebuild: cannot rebuild into "${target}": name a database of at most ${MAX_NAME[o.live.kind]} ` +
        'letters, digits and _ other than the live one',
    );
    return 2;
  }
  const drop = !o.keep && o.into === undefined;
  let rebuilt: ProjectionDatabase | undefined;
  try {
    await createDatabase(o.live, target);
    const url = new URL(o.url);
    url.pathname = `/${target}`;
    rebuilt = openProjectionDatabase(url.toString(), {
      mysql: { ...o.tls, connectionLimit: 2 },
      postgres: { ...o.tls, max: 2 },
    });
    if ((await tableCount(rebuilt)) > 0)
      throw new RebuildError(`database ${target} already holds tables; name an empty one`);
    await rebuilt.migrate();
    o.out(
      `rebuild: replaying ${Object.values(o.backbone.topics).join(', ')} into ${target} (live: ${liveName}, group ${o.groupId})`,
    );
    return await rebuildAndCompare(o, rebuilt);
  } catch (err) {
    o.logger.error({ err }, 'rebuild failed');
    o.out(`rebuild: failed: ${(err as Error).message}`);
    return 2;
  } finally {
    await rebuilt?.close();
    if (drop) await dropDatabase(o.live, target).catch(() => undefined);
    else o.out(`rebuild: the rebuilt projection is kept in database ${target}`);
  }
}

// `name` is letters, digits and _ (checked above), so it goes into the statements quoted as is.

/** Creates `name` on the live database's server unless it exists. */
async function createDatabase(live: ProjectionDatabase, name: string): Promise<void> {
  if (live.kind === 'mysql') {
    await live.pool.query(`CREATE DATABASE IF NOT EXISTS \`${name}\``);
    return;
  }
  // PostgreSQL has no IF NOT EXISTS here, and CREATE DATABASE may not run inside a
  // transaction: pool.query sends it alone, outside one.
  const { rowCount } = await live.pool.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
  if (rowCount === 0) await live.pool.query(`CREATE DATABASE "${name}"`);
}

/** Tables in the database `db` is on (its own schemas, not the server's). */
async function tableCount(db: ProjectionDatabase): Promise<number> {
  if (db.kind === 'mysql') {
    const [[row]] = await db.pool.query<RowDataPacket[]>(
      'SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE()',
    );
    return Number(row?.['n']);
  }
  const { rows } = await db.pool.query<{ n: string }>(
    "SELECT COUNT(*) AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
  );
  return Number(rows[0]?.n);
}

async function dropDatabase(live: ProjectionDatabase, name: string): Promise<void> {
  if (live.kind === 'mysql') await live.pool.query(`DROP DATABASE IF EXISTS \`${name}\``);
  // FORCE ends sessions still on it (the pool just closed may leave one ending).
  else await live.pool.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
}

async function rebuildAndCompare(o: RebuildOptions, rebuilt: ProjectionDatabase): Promise<number> {
  const started = Date.now();
  const live = o.live.store(o.groupId);
  const replay = new Replay(o, rebuilt.store(o.groupId));
  await replay.checkBeginnings(await live.positions());
  await replay.to(await live.positions());

  const snapshot = await openSnapshot(o.live, o.groupId);
  try {
    await replay.to(snapshot.positions);
    o.out(
      `rebuild: replayed ${replay.projected} records in ${((Date.now() - started) / 1000).toFixed(1)} s; comparing`,
    );
    const result = await compareProjections(snapshot.reader, comparisonReader(rebuilt), {
      groupId: o.groupId,
      maxDifferences: o.maxDifferences ?? 50,
    });
    if (result.differenceCount === 0) {
      o.out(`rebuild: ${result.rowsCompared} rows compared: identical`);
      return 0;
    }
    o.out(
      `rebuild: ${result.differenceCount} of ${result.rowsCompared} rows differ${result.differenceCount > result.differences.length ? ` (the first ${result.differences.length}:)` : ':'}`,
    );
    for (const d of result.differences) o.out(`  ${describe(d)}`);
    return 1;
  } finally {
    await snapshot.close();
  }
}

function describe(d: RowDifference): string {
  if (d.kind === 'only-live') return `${d.table} ${d.key}: only in the live projection`;
  if (d.kind === 'only-rebuilt') return `${d.table} ${d.key}: only in the rebuilt projection`;
  return `${d.table} ${d.key}: ${d.columns.map((c) => `${c.column} live=${JSON.stringify(c.live)} rebuilt=${JSON.stringify(c.rebuilt)}`).join('; ')}`;
}

/** Reads the topics into the rebuilt database up to given positions. */
class Replay {
  projected = 0;
  readonly #o: RebuildOptions;
  readonly #store: ProjectionStore;
  readonly #topics: string[];
  readonly #decoder: RecordDecoder;
  readonly #writer: BatchWriter;

  constructor(o: RebuildOptions, store: ProjectionStore) {
    this.#o = o;
    this.#store = store;
    this.#topics = Object.values(o.backbone.topics);
    this.#decoder = new RecordDecoder(o.backbone.codecs);
    this.#writer = new BatchWriter({
      store,
      decoder: this.#decoder,
      metrics: projectorMetrics(new Registry()),
      logger: o.logger,
    });
  }

  /** Refuses to start when a partition the live projection read no longer starts at offset 0. */
  async checkBeginnings(targets: readonly PartitionPosition[]): Promise<void> {
    const consumer = this.#o.backbone.consumer(`${this.#o.groupId}-rebuild-${randomUUID()}`);
    try {
      const earliest = await consumer.listOffsets({
        topics: this.#topics,
        timestamp: ListOffsetTimestamps.EARLIEST,
      });
      for (const t of targets) {
        const first = earliest.get(t.topic)?.[t.partition];
        if (first !== undefined && first > 0n && t.nextOffset > 0n) {
          throw new RebuildError(
            `${t.topic} partition ${t.partition} starts at offset ${first}: its first records are gone, so a replay ` +
              'cannot reproduce the live projection; keep the intake topics with retention.ms=-1',
          );
        }
      }
    } finally {
      await consumer.close(true);
    }
  }

  /** Replays until every partition's rebuilt position is at least its target. */
  async to(targets: readonly PartitionPosition[]): Promise<void> {
    const goal = new Map(
      targets
        .filter((t) => this.#topics.includes(t.topic))
        .map((t) => [`${t.topic}:${t.partition}`, t.nextOffset]),
    );
    const reached = new Map(
      (await this.#store.positions()).map((p) => [`${p.topic}:${p.partition}`, p.nextOffset]),
    );
    const open = (): string[] => [...goal].filter(([k, v]) => (reached.get(k) ?? 0n) < v).map(([k]) => k);
    if (open().length === 0) return;
    // A group of its own gets every partition and leaves the live group alone.
    const consumer = this.#o.backbone.consumer(`${this.#o.groupId}-rebuild-${randomUUID()}`);
    const source = new KafkaBatchSource({
      consumer,
      topics: this.#topics,
      positions: () => this.#store.positions(),
      maxRecords: this.#o.maxRecords,
      maxWaitMs: this.#o.maxWaitMs,
      logger: this.#o.logger,
    });
    await source.open();
    try {
      while (open().length > 0) {
        const batch = await source.next(AbortSignal.timeout(this.#o.idleCheckMs ?? 5000));
        if (batch.length === 0) {
          await this.#checkReachable(consumer, goal, reached, open());
          continue;
        }
        for (const m of batch) {
          const key = `${m.topic}:${m.partition}`;
          if ((reached.get(key) ?? 0n) < m.offset + 1n) reached.set(key, m.offset + 1n);
        }
        // Records the live projection has not reached are not part of the comparison.
        const wanted = batch.filter((m) => m.offset < (goal.get(`${m.topic}:${m.partition}`) ?? 0n));
        if (wanted.length > 0 && !(await this.#writer.write(wanted, new AbortController().signal))) {
          throw new RebuildError('writing the rebuilt projection was interrupted');
        }
        this.projected += wanted.length;
      }
    } finally {
      await source.close();
      await consumer.close(true);
    }
  }

  async #checkReachable(
    consumer: ReturnType<EventBackbone['consumer']>,
    goal: ReadonlyMap<string, bigint>,
    reached: ReadonlyMap<string, bigint>,
    open: readonly string[],
  ): Promise<void> {
    const ends = await consumer.listOffsets({ topics: this.#topics });
    for (const key of open) {
      const at = key.lastIndexOf(':');
      const end = ends.get(key.slice(0, at))?.[Number(key.slice(at + 1))] ?? 0n;
      const target = goal.get(key) ?? 0n;
      if (end < target) {
        throw new RebuildError(
          `${key} ends at offset ${end} but the live projection is at ${target}: the topic was recreated or truncated since`,
        );
      }
      this.#o.logger.info(
        { partition: key, reached: String(reached.get(key) ?? 0n), target: String(target) },
        'replay waiting for records',
      );
    }
  }
}

/**
 * The projector's run loop as a lifecycle component: read a batch, write it, repeat, one
 * batch at a time (a batch's transaction must commit before the next batch of the same
 * partitions can know where they stand). Beside it, a timer that measures how far the
 * stored positions are behind the ends of the partitions this instance holds.
 */
import type { Consumer } from '@platformatic/kafka';
import type { EventBackbone } from '@sluice/kafka';
import type { ProjectionStore } from '@sluice/projection';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { KafkaBatchSource } from './batch-source.ts';
import { BatchWriter, traceProjected } from './batch-writer.ts';
import { projectorMetrics, type ProjectorMetrics } from './metrics.ts';
import { RecordDecoder } from './record-decoder.ts';

/** Options of {@link Projector}. */
export interface ProjectorOptions {
  readonly source: KafkaBatchSource;
  readonly writer: BatchWriter;
  readonly store: ProjectionStore;
  readonly decoder: RecordDecoder;
  /** The source's consumer, for the partitions' ends and assignments. */
  readonly consumer: Consumer<Buffer, Buffer, Buffer, Buffer>;
  /** The topics' actual names. */
  readonly topics: readonly string[];
  readonly metrics: ProjectorMetrics;
  readonly logger: Logger;
  /** How often the lag is measured. @default 10000 */
  readonly lagIntervalMs?: number;
}

/** Projects the topics into MySQL until closed. */
export class Projector {
  readonly name = 'projector';
  readonly #o: ProjectorOptions;
  readonly #log: Logger;
  readonly #stop = new AbortController();
  #loop: Promise<void> | undefined;
  #lagTimer: NodeJS.Timeout | undefined;

  constructor(options: ProjectorOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'projector' });
  }

  /** Joins the group, opens the stream at the stored positions and starts projecting. */
  async start(): Promise<void> {
    await this.#o.source.open();
    this.#loop = this.#run();
    this.#lagTimer = setInterval(() => void this.measureLag(), this.#o.lagIntervalMs ?? 10_000);
    this.#lagTimer.unref();
  }

  /** Stops reading, lets the batch being written commit (or abandons its retries), closes the stream. */
  async close(): Promise<void> {
    clearInterval(this.#lagTimer);
    this.#stop.abort(new Error('the projector is closing'));
    await this.#loop;
    await this.#o.source.close();
  }

  /** True while the loop runs. */
  get running(): boolean {
    return this.#loop !== undefined && !this.#stop.signal.aborted;
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    // One batch is written while the next is read and decoded; writes stay one at a time,
    // in order, as the positions they move require.
    let writing: Promise<boolean> = Promise.resolve(true);
    try {
      while (!signal.aborted) {
        try {
          const batch = await this.#o.source.next(signal);
          if (batch.length === 0) continue;
          const read = Date.now();
          const records = await this.#o.writer.decode(batch, signal);
          if (!records || !(await writing)) return;
          writing = this.#o.writer.apply(records, signal).then((done) => {
            if (done) traceProjected(batch, read);
            return done;
          });
        } catch (err) {
          // The source and the writer handle their own failures, so this is a bug. Records read
          // but not written must not be skipped: read again from the stored positions.
          this.#log.error({ err }, 'the projection loop failed; reading again from the stored positions');
          writing = Promise.resolve(true);
          await this.#o.source.restart(signal);
        }
      }
    } finally {
      await writing.catch(() => false);
    }
  }

  /** Sets `sluice_projector_lag_records` for the partitions this instance holds. */
  async measureLag(): Promise<void> {
    try {
      const [ends, positions] = await Promise.all([
        this.#o.consumer.listOffsets({ topics: [...this.#o.topics] }),
        this.#o.store.positions(),
      ]);
      const stored = new Map(positions.map((p) => [`${p.topic}:${p.partition}`, p.nextOffset]));
      this.#o.metrics.lag.reset();
      for (const a of this.#o.consumer.assignments ?? []) {
        const topic = this.#o.decoder.topicOf(a.topic) ?? a.topic;
        for (const partition of a.partitions) {
          const end = ends.get(a.topic)?.[partition];
          if (end === undefined) continue;
          const lag = end - (stored.get(`${a.topic}:${partition}`) ?? 0n);
          this.#o.metrics.lag.set({ topic, partition: String(partition) }, Number(lag > 0n ? lag : 0n));
        }
      }
    } catch (err) {
      this.#log.debug({ err }, 'measuring the lag failed');
    }
  }
}

/** What {@link buildProjector} wires together. */
export interface ProjectorDeps {
  readonly backbone: EventBackbone;
  /** The projection's (migrated) database's store of the group's rows and positions. */
  readonly store: ProjectionStore;
  /** Consumer group, and the name of the positions in consumer_offsets. */
  readonly groupId: string;
  readonly maxRecords: number;
  readonly maxWaitMs: number;
  readonly registry: Registry;
  readonly logger: Logger;
  /** @default 10000 */
  readonly lagIntervalMs?: number;
}

/** A projector of the backbone's three topics into `store`'s database. */
export function buildProjector(deps: ProjectorDeps): Projector {
  const metrics = projectorMetrics(deps.registry);
  const { store } = deps;
  const decoder = new RecordDecoder(deps.backbone.codecs);
  const consumer = deps.backbone.consumer(deps.groupId);
  const topics = Object.values(deps.backbone.topics);
  const { maxRecords, maxWaitMs, logger } = deps;
  return new Projector({
    source: new KafkaBatchSource({
      consumer,
      topics,
      positions: () => store.positions(),
      maxRecords,
      maxWaitMs,
      logger,
    }),
    writer: new BatchWriter({ store, decoder, metrics, logger }),
    store,
    decoder,
    consumer,
    topics,
    metrics,
    logger,
    ...(deps.lagIntervalMs === undefined ? {} : { lagIntervalMs: deps.lagIntervalMs }),
  });
}

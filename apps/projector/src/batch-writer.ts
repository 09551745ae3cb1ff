/**
 * One batch from raw records to committed rows: decode, then project in one transaction,
 * trying again until it is done or the projector stops. Nothing is dropped on the way:
 * - a retriable failure (MySQL down, a deadlock, the registry unreachable) waits with
 *   backoff and jitter and tries the same batch again;
 * - a value MySQL refuses fails every try of its batch, so the batch is halved until the
 *   record that carries it is alone; that record is then kept as rejected (with the error)
 *   and the rest are projected.
 */
import { toSluiceError, type SluiceError } from '@sluice/errors';
import { recordSpanAttributes, recordTraceContext } from '@sluice/kafka';
import type { ProjectionRecord, ProjectionStore } from '@sluice/projection';
import { RETRY_POLICIES, backoffDelay, pause, withOverrides, type BackoffOptions } from '@sluice/retry';
import { SpanKind, spansRecorded, startSpan } from '@sluice/telemetry';
import type { Logger } from 'pino';
import type { RawMessage } from './batch-source.ts';
import type { ProjectorMetrics } from './metrics.ts';
import type { RecordDecoder } from './record-decoder.ts';

/** Options of {@link BatchWriter}. */
export interface BatchWriterOptions {
  readonly store: Pick<ProjectionStore, 'apply'>;
  readonly decoder: RecordDecoder;
  readonly metrics: ProjectorMetrics;
  readonly logger: Logger;
  /**
   * Delays between tries (there is no last try).
   * @default `RETRY_POLICIES.projectorBatch` in @sluice/retry (100 ms doubling to 10 s)
   */
  readonly backoff?: Omit<BackoffOptions, 'maxAttempts'>;
}

/** Decodes and projects batches. */
export class BatchWriter {
  readonly #o: BatchWriterOptions;
  readonly #log: Logger;

  constructor(options: BatchWriterOptions) {
    this.#o = options;
    this.#log = options.logger.child({ component: 'batch-writer' });
  }

  /** Projects `messages`; resolves true once committed, false if `signal` aborted first. */
  async write(messages: readonly RawMessage[], signal: AbortSignal): Promise<boolean> {
    const startTime = Date.now();
    const records = await this.decode(messages, signal);
    const done = records !== undefined && (await this.apply(records, signal));
    if (done) traceProjected(messages, startTime);
    return done;
  }

  /** Decodes `messages`, waiting out registry outages; undefined if `signal` aborted first. */
  async decode(
    messages: readonly RawMessage[],
    signal: AbortSignal,
  ): Promise<ProjectionRecord[] | undefined> {
    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) return undefined;
      try {
        return await this.#o.decoder.decode(messages);
      } catch (err) {
        if (!(await this.#wait('decode', err, attempt, messages.length, signal))) return undefined;
      }
    }
  }

  /** Projects decoded records; resolves true once committed, false if `signal` aborted first. */
  apply(records: readonly ProjectionRecord[], signal: AbortSignal): Promise<boolean> {
    return this.#apply(records, signal);
  }

  async #apply(batch: readonly ProjectionRecord[], signal: AbortSignal): Promise<boolean> {
    let records = batch;
    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) return false;
      const stop = this.#o.metrics.batchSeconds.startTimer();
      try {
        const result = await this.#o.store.apply(records);
        stop();
        this.#count(records, result.applied);
        return true;
      } catch (err) {
        const e = toSluiceError(err);
        // A rejection the database refuses too cannot be narrowed further: wait, as for an outage.
        if (e.retriable || (records.length === 1 && records[0]!.rejected !== undefined)) {
          if (!(await this.#wait('database', e, attempt, records.length, signal))) return false;
          continue;
        }
        if (records.length > 1) {
          this.#o.metrics.retries.inc({ reason: 'split' });
          const half = Math.ceil(records.length / 2);
          return (
            (await this.#apply(records.slice(0, half), signal)) &&
            (await this.#apply(records.slice(half), signal))
          );
        }
        records = [this.#reject(records[0]!, e)];
      }
    }
  }

  #reject(record: ProjectionRecord, error: SluiceError): ProjectionRecord {
    const event = record.event;
    this.#log.error(
      {
        err: error,
        topic: record.topic,
        partition: record.partition,
        offset: String(record.offset),
        upload_id: event?.uploadId,
      },
      'MySQL refuses a value of this event; keeping it in rejected_events',
    );
    return {
      topic: record.topic,
      partition: record.partition,
      offset: record.offset,
      rejected: {
        code: error.code,
        message: error.message,
        ...(event ? { eventId: event.eventId, uploadId: event.uploadId } : {}),
      },
    };
  }

  async #wait(
    reason: string,
    err: unknown,
    attempt: number,
    size: number,
    signal: AbortSignal,
  ): Promise<boolean> {
    this.#o.metrics.retries.inc({ reason });
    this.#log.warn({ err, attempt, records: size }, 'projecting a batch failed; trying again');
    try {
      await pause(
        backoffDelay(attempt, withOverrides(RETRY_POLICIES.projectorBatch, this.#o.backoff)),
        signal,
      );
      return true;
    } catch {
      return false;
    }
  }

  #count(records: readonly ProjectionRecord[], applied: readonly ProjectionRecord[]): void {
    const fresh = new Set(applied);
    const counts = new Map<string, { topic: string; kind: string; outcome: string; n: number }>();
    for (const r of records) {
      const topic = this.#o.decoder.topicOf(r.topic) ?? r.topic;
      const kind = r.event?.kind ?? 'rejected';
      const outcome = !fresh.has(r) ? 'duplicate' : r.rejected ? 'rejected' : 'projected';
      const key = `${topic}\u0000${kind}\u0000${outcome}`;
      const c = counts.get(key);
      if (c) c.n++;
      else counts.set(key, { topic, kind, outcome, n: 1 });
    }
    for (const c of counts.values())
      this.#o.metrics.events.inc({ topic: c.topic, kind: c.kind, outcome: c.outcome }, c.n);
    this.#o.metrics.batchRecords.observe(records.length);
  }
}

/**
 * One span per projected record, in the trace its producer started (the upload's), spanning
 * the batch that wrote it: a batch mixes many uploads, and each upload's trace ends here.
 */
export function traceProjected(messages: readonly RawMessage[], startTime: number): void {
  // These spans carry nothing on (the projector produces no events): without a recorder they
  // would be made and dropped for every event.
  if (!spansRecorded()) return;
  for (const message of messages) {
    startSpan(`${message.topic} project`, {
      parent: recordTraceContext(message.headers),
      kind: SpanKind.CONSUMER,
      startTime,
      attributes: { ...recordSpanAttributes(message), 'messaging.batch.message_count': messages.length },
    }).end();
  }
}

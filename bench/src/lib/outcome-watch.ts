import { randomUUID } from 'node:crypto';
import { Consumer, type MessagesStream } from '@platformatic/kafka';
import { UploadEvent } from '@sluice/proto';
import { decodeFrame } from '@sluice/schema-registry';
import { kafkaBrokers } from '@sluice/testing';

/** How an upload ended, as `intake.uploads` announced it. */
export interface Outcome {
  /** When the announcement was produced (its record's timestamp), ms since the epoch. */
  readonly at: number;
  /** undefined for UploadCompleted; otherwise what ended the upload. */
  readonly failure: string | undefined;
}

/**
 * Follows `intake.uploads` from the bench's own process, so that watching for outcomes costs the
 * apps nothing: asking ingest for each upload's status every few milliseconds made ingest and
 * the projection's database serve the bench, and that CPU was counted as Sluice's. The time of an
 * outcome is its record's timestamp, set when the assembler produced it, not when it was read.
 */
export class OutcomeWatch {
  readonly #consumer: Consumer<Buffer, Buffer, Buffer, Buffer>;
  readonly #stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>;
  readonly #seen = new Map<string, Outcome>();
  readonly #waiting = new Map<string, (outcome: Outcome) => void>();

  private constructor(
    consumer: Consumer<Buffer, Buffer, Buffer, Buffer>,
    stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>,
  ) {
    this.#consumer = consumer;
    this.#stream = stream;
    stream.on('data', (m: { value: Buffer; timestamp: bigint }) => this.#take(m.value, Number(m.timestamp)));
  }

  /** Starts following `topic` from its beginning (a bench stack's topics are its own). */
  static async start(topic: string): Promise<OutcomeWatch> {
    const consumer = new Consumer({
      groupId: `sluice-bench-${randomUUID()}`,
      clientId: 'sluice-bench-outcomes',
      bootstrapBrokers: kafkaBrokers(),
      maxWaitTime: 100,
    });
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest' });
    return new OutcomeWatch(consumer, stream);
  }

  /** The upload's outcome, once announced (at once if it already was). */
  outcome(uploadId: string): Promise<Outcome> {
    const seen = this.#seen.get(uploadId);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve) => this.#waiting.set(uploadId, resolve));
  }

  async close(): Promise<void> {
    await this.#stream.close().catch(() => undefined);
    await this.#consumer.close(true).catch(() => undefined);
  }

  #take(value: Buffer, at: number): void {
    const event = UploadEvent.decode(decodeFrame(value).payload);
    const body = event.event;
    if (body === undefined) return;
    let failure: string | undefined;
    if (body.$case === 'uploadFailed') failure = `failed: ${body.value.errorCode} ${body.value.message}`;
    else if (body.$case === 'uploadAborted') failure = `aborted: ${body.value.reason}`;
    else if (body.$case === 'uploadExpired') failure = 'expired';
    else if (body.$case !== 'uploadCompleted') return;
    const outcome = { at, failure };
    this.#seen.set(event.uploadId, outcome);
    this.#waiting.get(event.uploadId)?.(outcome);
    this.#waiting.delete(event.uploadId);
  }
}

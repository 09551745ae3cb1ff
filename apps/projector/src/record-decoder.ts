/**
 * Raw Kafka records → projection records. A record that can never become an event (not a
 * Sluice frame, an unknown schema, an event breaking the contract) becomes a rejection that
 * the store keeps in `rejected_events` as it moves past it; a record that cannot be decoded
 * yet (the registry is down) fails the batch, which is retried.
 */
import { SluiceError, toSluiceError } from '@sluice/errors';
import { toProjectionEvent, type ProjectionRecord, type SourceTopic } from '@sluice/projection';
import type { EventCodecs, EventTopic } from '@sluice/schema-registry';
import type { RawMessage } from './batch-source.ts';

/** Decodes the records of the three topics. */
export class RecordDecoder {
  readonly #byName: ReadonlyMap<string, { topic: SourceTopic; codecs: EventCodecs }>;

  constructor(codecs: EventCodecs) {
    const topics: EventTopic[] = ['intake.chunks', 'intake.parts', 'intake.uploads'];
    this.#byName = new Map(topics.map((topic) => [codecs[topic].topicName, { topic, codecs }]));
  }

  /** The canonical topic of an actual topic name. */
  topicOf(name: string): SourceTopic | undefined {
    return this.#byName.get(name)?.topic;
  }

  /**
   * The projection records of `messages`, in order.
   * @throws SluiceError (retriable) when a record cannot be decoded yet.
   */
  async decode(messages: readonly RawMessage[]): Promise<ProjectionRecord[]> {
    const out: ProjectionRecord[] = [];
    for (const m of messages) out.push(await this.#decodeOne(m));
    return out;
  }

  async #decodeOne(m: RawMessage): Promise<ProjectionRecord> {
    const position = { topic: m.topic, partition: m.partition, offset: m.offset };
    const known = this.#byName.get(m.topic);
    if (!known) {
      return {
        ...position,
        rejected: {
          code: 'FRAME_UNKNOWN_SCHEMA',
          message: `topic ${m.topic} is not one the projector reads`,
        },
      };
    }
    let envelope;
    try {
      envelope = await known.codecs[known.topic].decode(m.value ?? Buffer.alloc(0));
    } catch (err) {
      const e = toSluiceError(err);
      if (e.retriable) throw e;
      return { ...position, rejected: { code: e.code, message: e.message } };
    }
    try {
      return { ...position, event: toProjectionEvent(known.topic, envelope, new Date(Number(m.timestamp))) };
    } catch (err) {
      if (!(err instanceof SluiceError)) throw err;
      return {
        ...position,
        rejected: {
          code: err.code,
          message: err.message,
          eventId: envelope.eventId,
          uploadId: envelope.uploadId,
        },
      };
    }
  }
}

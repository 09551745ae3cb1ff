import { findErrorBy, type Producer } from '@platformatic/kafka';
import type { SluiceError } from '@sluice/errors';
import { DEAD_LETTER_SUFFIX } from '@sluice/schema-registry';

/** A record that could not be processed, with why. */
export interface DeadLetter {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly key: Buffer | undefined;
  readonly value: Buffer | undefined;
  readonly headers: ReadonlyMap<Buffer, Buffer>;
  readonly error: SluiceError;
  readonly attempts: number;
}

/** Where dead letters go. `send` resolves once the letter is durable. */
export interface DeadLetterSink {
  send(letter: DeadLetter): Promise<void>;
}

/** Headers a dead letter carries beside the original record's own. */
export const DEAD_LETTER_HEADERS = Object.freeze({
  code: 'sluice-dlq-error-code',
  message: 'sluice-dlq-error-message',
  retriable: 'sluice-dlq-error-retriable',
  topic: 'sluice-dlq-source-topic',
  partition: 'sluice-dlq-source-partition',
  offset: 'sluice-dlq-source-offset',
  attempts: 'sluice-dlq-attempts',
  /** Set when the letter had to go without the original's key, value and headers (see below). */
  omitted: 'sluice-dlq-omitted',
});

/** The error message a letter without the original carries is cut to this many characters. */
const OMITTED_MESSAGE_CHARS = 4096;

/**
 * Dead letters as Kafka records on `<source topic><suffix>`: the original key, value and
 * headers untouched (so the record can be replayed as it was), plus the error and the
 * source position in `sluice-dlq-*` headers. Produced with acks from all replicas.
 *
 * A letter the broker refuses as too large (a record near the size limit, or an error message
 * quoting a large part of it) goes without the original's key, value and headers, with its
 * message cut and `sluice-dlq-omitted` saying so: the source position still leads to the record
 * (Sluice's topics are kept whole), and a letter that can never be written would stop its
 * partition for good.
 */
export function kafkaDeadLetterSink(
  producer: Producer<Buffer, Buffer, Buffer, Buffer>,
  options: { readonly suffix?: string } = {},
): DeadLetterSink {
  const suffix = options.suffix ?? DEAD_LETTER_SUFFIX;
  return {
    async send(letter) {
      const topic = `${letter.topic}${suffix}`;
      try {
        await producer.send({
          acks: -1,
          messages: [
            {
              topic,
              ...(letter.key === undefined ? {} : { key: letter.key }),
              ...(letter.value === undefined ? {} : { value: letter.value }),
              headers: withCause(new Map(letter.headers), letter, letter.error.message),
            },
          ],
        });
      } catch (error) {
        if (!tooLarge(error)) throw error;
        let size = (letter.key?.length ?? 0) + (letter.value?.length ?? 0);
        for (const [k, v] of letter.headers) size += k.length + (v?.length ?? 0);
        const headers = withCause(new Map(), letter, letter.error.message.slice(0, OMITTED_MESSAGE_CHARS));
        headers.set(
          Buffer.from(DEAD_LETTER_HEADERS.omitted),
          Buffer.from(
            `key, value and headers (${size} bytes): too large for a dead letter; read them at the source position`,
          ),
        );
        await producer.send({ acks: -1, messages: [{ topic, headers }] });
      }
    },
  };
}

function withCause(headers: Map<Buffer, Buffer>, letter: DeadLetter, message: string): Map<Buffer, Buffer> {
  const add = (k: string, v: string): void => void headers.set(Buffer.from(k), Buffer.from(v));
  add(DEAD_LETTER_HEADERS.code, letter.error.code);
  add(DEAD_LETTER_HEADERS.message, message);
  add(DEAD_LETTER_HEADERS.retriable, String(letter.error.retriable));
  add(DEAD_LETTER_HEADERS.topic, letter.topic);
  add(DEAD_LETTER_HEADERS.partition, String(letter.partition));
  add(DEAD_LETTER_HEADERS.offset, String(letter.offset));
  add(DEAD_LETTER_HEADERS.attempts, String(letter.attempts));
  return headers;
}

/** The broker refused the record (or its batch) as larger than the topic takes. */
function tooLarge(error: unknown): boolean {
  const e = error instanceof Error ? error : undefined;
  return (
    findErrorBy(e, 'apiId', 'MESSAGE_TOO_LARGE') !== null ||
    findErrorBy(e, 'apiId', 'RECORD_LIST_TOO_LARGE') !== null
  );
}

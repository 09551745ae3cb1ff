import type { Producer } from '@platformatic/kafka';
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
});

/**
 * Dead letters as Kafka records on `<source topic><suffix>`: the original key, value and
 * headers untouched (so the record can be replayed as it was), plus the error and the
 * source position in `sluice-dlq-*` headers. Produced with acks from all replicas.
 */
export function kafkaDeadLetterSink(
  producer: Producer<Buffer, Buffer, Buffer, Buffer>,
  options: { readonly suffix?: string } = {},
): DeadLetterSink {
  const suffix = options.suffix ?? DEAD_LETTER_SUFFIX;
  return {
    async send(letter) {
      const headers = new Map<Buffer, Buffer>(letter.headers);
      const add = (k: string, v: string): void => void headers.set(Buffer.from(k), Buffer.from(v));
      add(DEAD_LETTER_HEADERS.code, letter.error.code);
      add(DEAD_LETTER_HEADERS.message, letter.error.message);
      add(DEAD_LETTER_HEADERS.retriable, String(letter.error.retriable));
      add(DEAD_LETTER_HEADERS.topic, letter.topic);
      add(DEAD_LETTER_HEADERS.partition, String(letter.partition));
      add(DEAD_LETTER_HEADERS.offset, String(letter.offset));
      add(DEAD_LETTER_HEADERS.attempts, String(letter.attempts));
      await producer.send({
        acks: -1,
        messages: [
          {
            topic: `${letter.topic}${suffix}`,
            ...(letter.key === undefined ? {} : { key: letter.key }),
            ...(letter.value === undefined ? {} : { value: letter.value }),
            headers,
          },
        ],
      });
    },
  };
}

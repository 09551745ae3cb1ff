/**
 * Whether the schema registry still holds the schemas stored events were written with. Every
 * frame names its schema by contentId; a registry that lost its storage (or was replaced) gives
 * those ids to nothing, or to other schemas, and every replay of the topic fails record by
 * record. Apps check the latest records of their topics at start-up, and the projector's
 * rebuild checks before it replays, so a reset registry is named once, up front.
 */
import type { EventTopic } from './topic-names.ts';
import type { RegistryCallOptions, SchemaRegistry } from './registry.ts';
import { declaredMessages, envelopeName } from './event-codec.ts';
import { decodeFrame } from './wire-format.ts';

/** One stored record, as the check reads it. */
export interface StoredFrame {
  readonly topic: EventTopic;
  /** The Kafka topic's actual name. */
  readonly topicName: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly value: Uint8Array;
}

/** A stored record whose contentId the registry does not resolve to the topic's envelope. */
export interface SchemaMismatch {
  readonly topicName: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly contentId: number;
  /** What the registry answers for the contentId. */
  readonly answer: string;
}

/**
 * The mismatch of `frame`, or undefined when its contentId names a schema that declares the
 * topic's envelope message. A frame that is malformed or names another message is not the
 * registry's doing and is left to the dead-letter path: it is not reported here.
 * @throws UnavailableError REGISTRY_UNAVAILABLE when the registry cannot be reached.
 */
export async function schemaMismatchOf(
  registry: SchemaRegistry,
  frame: StoredFrame,
  options: RegistryCallOptions = {},
): Promise<SchemaMismatch | undefined> {
  let contentId: number;
  try {
    const decoded = decodeFrame(frame.value);
    if (decoded.messageName !== envelopeName(frame.topic)) return undefined;
    contentId = decoded.contentId;
  } catch {
    return undefined;
  }
  const content = await registry.contentById(contentId, options);
  const where = { topicName: frame.topicName, partition: frame.partition, offset: frame.offset, contentId };
  if (content === undefined) return { ...where, answer: 'no schema under this contentId (404)' };
  const envelope = envelopeName(frame.topic);
  const messages = declaredMessages(content);
  if (messages.includes(envelope)) return undefined;
  return {
    ...where,
    answer: `a schema without message ${envelope} (it declares ${messages.length > 0 ? messages.join(', ') : 'no message'})`,
  };
}

/** The refusal naming every mismatch and what to do, for logs and the error an app exits with. */
export function describeSchemaMismatches(mismatches: readonly SchemaMismatch[], registryUrl: string): string {
  const lines = mismatches.map(
    (m) =>
      `  ${m.topicName} partition ${m.partition} offset ${m.offset}: contentId ${m.contentId}; the registry answers: ${m.answer}`,
  );
  return [
    `the schema registry at ${registryUrl} does not hold the schemas the stored events were written with:`,
    ...lines,
    'It was reset or replaced since those events were written, and replaying them would fail. Restore the',
    "registry's storage (with KafkaSQL, its kafkasql-journal topic) or re-register the old schemas under",
    'their old contentIds, then start again. If the events are disposable (a local stack),',
    '`npm run infra -- reset` clears the topics and the registry together. See README.md, "Replay".',
  ].join('\n');
}

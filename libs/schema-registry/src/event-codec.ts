/**
 * Typed codecs for Sluice's three topics: each envelope (ChunkEvent, PartEvent, UploadEvent)
 * framed as in wire-format.ts under the contentId its .proto has in the registry.
 *
 * A codec is made at start-up by registering (find-or-create) the topic's .proto, so it knows
 * its own contentId and encodes without I/O. Decoding accepts any contentId the registry knows
 * whose Ref names the topic's envelope — a record written under an older or newer version of
 * the schema, or by a Java producer that registered its own copy, decodes with the generated
 * type as Protobuf's compatibility rules allow. Ids are looked up once and remembered.
 */
import { ChunkEvent, PartEvent, PROTO_FILES, protoSource, UploadEvent } from '@sluice/proto';
import { SluiceError } from '@sluice/errors';
import { BoundedCache } from './bounded-cache.ts';
import type { RegisteredSchema, RegistryCallOptions, SchemaRegistry } from './registry.ts';
import { eventTopicName, type EventTopic } from './topic-names.ts';
import { decodeFrame, frameError, framePrefix } from './wire-format.ts';

/** The envelope message each topic carries. */
export interface EventEnvelopes {
  'intake.chunks': ChunkEvent;
  'intake.parts': PartEvent;
  'intake.uploads': UploadEvent;
}
export type EnvelopeOf<T extends EventTopic> = EventEnvelopes[T];

/** The part of @bufbuild/protobuf's BinaryWriter a codec uses. */
interface ProtoWriter {
  raw(chunk: Uint8Array): ProtoWriter;
  finish(): Uint8Array;
}

/** The part of a ts-proto message object a codec needs. */
interface EnvelopeFns<M> {
  encode(message: M, writer?: ProtoWriter): ProtoWriter;
  decode(input: Uint8Array): M;
  fromPartial(object: object): M;
}

interface EnvelopeSpec<M> {
  readonly messageName: string;
  readonly fns: EnvelopeFns<M>;
  readonly protoFile: (typeof PROTO_FILES)[EventTopic];
}

const ENVELOPES: { readonly [T in EventTopic]: EnvelopeSpec<EventEnvelopes[T]> } = {
  'intake.chunks': { messageName: 'ChunkEvent', fns: ChunkEvent, protoFile: PROTO_FILES['intake.chunks'] },
  'intake.parts': { messageName: 'PartEvent', fns: PartEvent, protoFile: PROTO_FILES['intake.parts'] },
  'intake.uploads': {
    messageName: 'UploadEvent',
    fns: UploadEvent,
    protoFile: PROTO_FILES['intake.uploads'],
  },
};

/** The simple name of the envelope message of `topic`, as frames' Ref carries it. */
export function envelopeName(topic: EventTopic): string {
  return ENVELOPES[topic].messageName;
}

/** The top-level messages a .proto text declares, in order. */
export function declaredMessages(protoText: string): string[] {
  return [...protoText.matchAll(/^\s*message\s+([A-Za-z_][A-Za-z0-9_]*)\s*\{/gm)].map((m) => m[1] ?? '');
}

/** The .proto text registered for `topic`. */
export function envelopeSchema(topic: EventTopic): string {
  return protoSource(ENVELOPES[topic].protoFile);
}

/** Encodes and decodes one topic's envelopes. */
export interface EventCodec<T extends EventTopic> {
  /** The canonical topic. */
  readonly topic: T;
  /** The Kafka topic's actual name, which is also the artifactId. */
  readonly topicName: string;
  /** Simple name of the envelope message, e.g. `ChunkEvent`. */
  readonly messageName: string;
  /** The registry version whose contentId every encoded frame carries. */
  readonly schema: RegisteredSchema;
  /** The framed bytes of `envelope`, ready to be a Kafka record value. */
  encode(envelope: EnvelopeOf<T>): Buffer;
  /**
   * The envelope in `frame`. Resolves without I/O for contentIds already seen.
   * @throws InvalidArgumentError FRAME_INVALID (`details.reason`: magic-byte, truncated,
   *   malformed-header, message-type, payload) — the record can never be decoded.
   * @throws FailedPreconditionError FRAME_UNKNOWN_SCHEMA (`details.reason` unknown-schema).
   * @throws UnavailableError REGISTRY_UNAVAILABLE while an unseen contentId cannot be looked up (retriable).
   */
  decode(frame: Uint8Array, options?: RegistryCallOptions): Promise<EnvelopeOf<T>>;
}

/** Options of {@link createEventCodec}. */
export interface EventCodecOptions extends RegistryCallOptions {
  /** Kafka topic name (and artifactId). @default the canonical topic name */
  readonly topicName?: string;
  /** How many foreign contentIds a codec remembers as valid. @default 100 */
  readonly knownIdsCacheSize?: number;
}

/** Registers `topic`'s schema (find-or-create) and returns its codec. */
export async function createEventCodec<T extends EventTopic>(
  registry: SchemaRegistry,
  topic: T,
  options: EventCodecOptions = {},
): Promise<EventCodec<T>> {
  const spec = ENVELOPES[topic] as EnvelopeSpec<EnvelopeOf<T>>;
  const topicName = options.topicName ?? topic;
  const schema = await registry.ensureSchema(
    { artifactId: topicName, content: envelopeSchema(topic), artifactType: 'PROTOBUF' },
    options.signal === undefined ? {} : { signal: options.signal },
  );
  return new TopicCodec(registry, topic, topicName, spec, schema, options.knownIdsCacheSize ?? 100);
}

/** Codecs of all three topics, keyed by canonical topic. */
export type EventCodecs = { readonly [T in EventTopic]: EventCodec<T> };

/** Options of {@link createEventCodecs}. */
export interface EventCodecsOptions extends RegistryCallOptions {
  /** Put before every topic name (and artifactId). @default '' */
  readonly topicPrefix?: string;
}

/** Registers all three schemas and returns their codecs. */
export async function createEventCodecs(
  registry: SchemaRegistry,
  options: EventCodecsOptions = {},
): Promise<EventCodecs> {
  const prefix = options.topicPrefix ?? '';
  const call = options.signal === undefined ? {} : { signal: options.signal };
  const [chunks, parts, uploads] = await Promise.all([
    createEventCodec(registry, 'intake.chunks', {
      ...call,
      topicName: eventTopicName('intake.chunks', prefix),
    }),
    createEventCodec(registry, 'intake.parts', {
      ...call,
      topicName: eventTopicName('intake.parts', prefix),
    }),
    createEventCodec(registry, 'intake.uploads', {
      ...call,
      topicName: eventTopicName('intake.uploads', prefix),
    }),
  ]);
  return { 'intake.chunks': chunks, 'intake.parts': parts, 'intake.uploads': uploads };
}

class TopicCodec<T extends EventTopic> implements EventCodec<T> {
  readonly topic: T;
  readonly topicName: string;
  readonly messageName: string;
  readonly schema: RegisteredSchema;
  readonly #registry: SchemaRegistry;
  readonly #fns: EnvelopeFns<EnvelopeOf<T>>;
  readonly #prefix: Buffer;
  /** Reused for every encode (it keeps its grown buffer); encoding is synchronous, never re-entered. */
  readonly #writer: ProtoWriter;
  readonly #knownIds: BoundedCache<number, true>;

  constructor(
    registry: SchemaRegistry,
    topic: T,
    topicName: string,
    spec: EnvelopeSpec<EnvelopeOf<T>>,
    schema: RegisteredSchema,
    knownIdsCacheSize: number,
  ) {
    this.#registry = registry;
    this.topic = topic;
    this.topicName = topicName;
    this.messageName = spec.messageName;
    this.schema = schema;
    this.#fns = spec.fns;
    this.#prefix = framePrefix(schema.contentId, spec.messageName);
    this.#writer = spec.fns.encode(spec.fns.fromPartial({}));
    this.#writer.finish();
    this.#knownIds = new BoundedCache(knownIdsCacheSize);
  }

  encode(envelope: EnvelopeOf<T>): Buffer {
    // Prefix and message go through one writer, so the frame is built with one allocation.
    const frame = this.#fns.encode(envelope, this.#writer.raw(this.#prefix)).finish();
    return Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  }

  async decode(frame: Uint8Array, options: RegistryCallOptions = {}): Promise<EnvelopeOf<T>> {
    const { contentId, messageName, payload } = decodeFrame(frame);
    if (contentId !== this.schema.contentId && !this.#knownIds.has(contentId)) {
      await this.#checkForeignId(contentId, options);
    }
    return this.#decodePayload(contentId, messageName, payload);
  }

  async #checkForeignId(contentId: number, options: RegistryCallOptions): Promise<void> {
    const content = await this.#registry.contentById(contentId, options);
    if (content === undefined) {
      throw frameError(
        'unknown-schema',
        `the event frame on ${this.topicName} names contentId ${contentId}, which the schema registry does not have: ` +
          'the record was written against another registry, or its schema was deleted',
        { details: { contentId, topic: this.topicName } },
      );
    }
    if (!declaredMessages(content).includes(this.messageName)) {
      throw frameError(
        'unknown-schema',
        `the schema under contentId ${contentId} defines no message ${this.messageName}: it is not a schema of ${this.topicName}`,
        { details: { contentId, topic: this.topicName } },
      );
    }
    this.#knownIds.set(contentId, true);
  }

  #decodePayload(contentId: number, messageName: string, payload: Buffer): EnvelopeOf<T> {
    if (messageName !== this.messageName) {
      throw frameError(
        'message-type',
        `the event frame on ${this.topicName} carries a ${messageName}; this topic carries ${this.messageName}`,
        { details: { contentId, topic: this.topicName, messageName } },
      );
    }
    try {
      return this.#fns.decode(payload);
    } catch (error) {
      if (error instanceof SluiceError) throw error;
      throw frameError(
        'payload',
        `the event frame on ${this.topicName} (contentId ${contentId}) holds ${payload.length} bytes that are not a valid ${this.messageName}: ${error instanceof Error ? error.message : String(error)}`,
        { cause: error, details: { contentId, topic: this.topicName } },
      );
    }
  }
}

/**
 * Public door of @sluice/schema-registry: the Apicurio Registry v3 client, an in-memory stand-in
 * for unit tests, the Apicurio Protobuf wire format, and typed codecs for Sluice's topics.
 */
export { ApicurioRegistry, type ApicurioRegistryOptions } from './apicurio-registry.ts';
export {
  createEventCodec,
  createEventCodecs,
  envelopeName,
  envelopeSchema,
  type EnvelopeOf,
  type EventCodec,
  type EventCodecOptions,
  type EventCodecs,
  type EventCodecsOptions,
  type EventEnvelopes,
} from './event-codec.ts';
export { DEAD_LETTER_SUFFIX, EVENT_TOPICS, eventTopicName, type EventTopic } from './topic-names.ts';
export {
  describeSchemaMismatches,
  schemaMismatchOf,
  type SchemaMismatch,
  type StoredFrame,
} from './stored-schemas.ts';
export { InMemorySchemaRegistry, type InMemorySchemaRegistryOptions } from './in-memory-registry.ts';
export type {
  ArtifactType,
  EnsureSchemaRequest,
  RegisteredSchema,
  RegistryCallOptions,
  SchemaRegistry,
} from './registry.ts';
export {
  decodeFrame,
  encodeFrame,
  FRAME_ERROR_REASONS,
  MAGIC_BYTE,
  MAX_SCHEMA_ID,
  type DecodedFrame,
  type FrameErrorReason,
} from './wire-format.ts';

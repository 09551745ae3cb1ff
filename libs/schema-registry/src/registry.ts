/**
 * What Sluice needs from a schema registry, whatever serves it: Apicurio Registry in production
 * ({@link ApicurioRegistry}), an in-memory stand-in in unit tests ({@link InMemorySchemaRegistry}).
 */

/** The artifact types Sluice registers. */
export type ArtifactType = 'PROTOBUF';

/** One version of an artifact, with the ids frames carry. */
export interface RegisteredSchema {
  readonly groupId: string;
  readonly artifactId: string;
  readonly version: string;
  /** Id of the content; the same content has the same contentId in every artifact. Frames carry it. */
  readonly contentId: number;
  /** Id of this version of this artifact. */
  readonly globalId: number;
}

/** What {@link SchemaRegistry.ensureSchema} registers. */
export interface EnsureSchemaRequest {
  /** For Sluice's events: the Kafka topic's name. */
  readonly artifactId: string;
  /** The schema text, e.g. the .proto file. */
  readonly content: string;
  /** @default 'PROTOBUF' */
  readonly artifactType?: ArtifactType;
}

/** Per-call options. */
export interface RegistryCallOptions {
  /** Aborts the call; the error thrown is the signal's reason. */
  readonly signal?: AbortSignal;
}

/** A schema registry as Sluice's codecs use it. */
export interface SchemaRegistry {
  /**
   * Makes sure the artifact exists and has a version whose content is exactly `content`,
   * creating the artifact or a new version only when there is none; idempotent, so every
   * start-up of every replica gets the same version back.
   * @throws UnavailableError REGISTRY_UNAVAILABLE when the registry cannot be reached (retriable).
   * @throws InternalError REGISTRY_REJECTED when the registry refuses, with its reason.
   */
  ensureSchema(request: EnsureSchemaRequest, options?: RegistryCallOptions): Promise<RegisteredSchema>;

  /**
   * The schema text stored under `contentId`, or `undefined` when there is none.
   * Content never changes once stored, so implementations cache it.
   * @throws UnavailableError REGISTRY_UNAVAILABLE when the registry cannot be reached (retriable).
   */
  contentById(contentId: number, options?: RegistryCallOptions): Promise<string | undefined>;
}

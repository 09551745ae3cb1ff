/**
 * A {@link SchemaRegistry} held in memory, for unit tests of anything that encodes or decodes
 * events. It assigns ids the way Apicurio does: one contentId per distinct content (shared
 * across artifacts), one globalId per version, versions numbered 1, 2, … per artifact.
 * `available = false` makes every call fail with REGISTRY_UNAVAILABLE, as an outage would.
 */
import { UnavailableError } from '@sluice/errors';
import type {
  EnsureSchemaRequest,
  RegisteredSchema,
  RegistryCallOptions,
  SchemaRegistry,
} from './registry.ts';

/** Options of {@link InMemorySchemaRegistry}. */
export interface InMemorySchemaRegistryOptions {
  /** First contentId handed out, to keep fake ids apart from real ones in a test. @default 1 */
  readonly firstContentId?: number;
  /** @default 'default' */
  readonly groupId?: string;
}

export class InMemorySchemaRegistry implements SchemaRegistry {
  /** When false, every call throws REGISTRY_UNAVAILABLE. */
  available = true;
  readonly groupId: string;
  /** How many calls reached the registry, by method; lets tests check caching. */
  readonly calls = { ensureSchema: 0, contentById: 0 };
  readonly #contentIds = new Map<string, number>();
  readonly #contents = new Map<number, string>();
  readonly #artifacts = new Map<string, RegisteredSchema[]>();
  #nextContentId: number;
  #nextGlobalId = 1;

  constructor(options: InMemorySchemaRegistryOptions = {}) {
    this.#nextContentId = options.firstContentId ?? 1;
    this.groupId = options.groupId ?? 'default';
  }

  ensureSchema(request: EnsureSchemaRequest, options: RegistryCallOptions = {}): Promise<RegisteredSchema> {
    this.calls.ensureSchema++;
    return this.#call(options, () => {
      const versions = this.#artifacts.get(request.artifactId) ?? [];
      const contentId = this.#contentIdOf(request.content);
      const found = versions.find((version) => version.contentId === contentId);
      if (found !== undefined) return found;
      const created: RegisteredSchema = {
        groupId: this.groupId,
        artifactId: request.artifactId,
        version: String(versions.length + 1),
        contentId,
        globalId: this.#nextGlobalId++,
      };
      this.#artifacts.set(request.artifactId, [...versions, created]);
      return created;
    });
  }

  contentById(contentId: number, options: RegistryCallOptions = {}): Promise<string | undefined> {
    this.calls.contentById++;
    return this.#call(options, () => this.#contents.get(contentId));
  }

  /** Every version of an artifact, oldest first. */
  versions(artifactId: string): readonly RegisteredSchema[] {
    return this.#artifacts.get(artifactId) ?? [];
  }

  #contentIdOf(content: string): number {
    let id = this.#contentIds.get(content);
    if (id === undefined) {
      id = this.#nextContentId++;
      this.#contentIds.set(content, id);
      this.#contents.set(id, content);
    }
    return id;
  }

  #call<T>(options: RegistryCallOptions, work: () => T): Promise<T> {
    try {
      options.signal?.throwIfAborted();
      if (!this.available) {
        throw new UnavailableError(
          'REGISTRY_UNAVAILABLE',
          'the in-memory schema registry is set unavailable',
        );
      }
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
}

/**
 * Apicurio Registry 3.x over its v3 REST API (`/apis/registry/v3`), with plain `fetch`.
 *
 * Layout in the registry: one artifact per topic, artifactId = topic name, in group `default`,
 * type PROTOBUF, each version's content the topic's .proto text. Sluice never edits a version;
 * a changed .proto becomes a new version at the next start-up, and the registry's rules (if
 * any are configured) decide whether it is accepted.
 *
 * Each artifact carries two rules, so the registry itself refuses a change that would strand
 * stored events: VALIDITY FULL (the .proto must parse), and COMPATIBILITY BACKWARD_TRANSITIVE.
 * Transitive, because the topics are replayed from offset 0: the newest schema must read the
 * events of every earlier version, not only of the one before it.
 *
 * Calls used:
 *   GET  /groups/{g}/artifacts/{a}/rules                         the rules the artifact has
 *   POST /groups/{g}/artifacts/{a}/rules                         adds a missing rule (409 when a
 *        replica starting at once added it first: fine)
 *   POST /groups/{g}/artifacts?ifExists=FIND_OR_CREATE_VERSION   ensureSchema: creates the
 *        artifact with its first version, or returns the version whose content is byte-for-byte
 *        ours, or adds a version — one idempotent call, safe for replicas starting together
 *        (a lost creation race lands in the same FIND_OR_CREATE_VERSION branch on the server).
 *   GET  /ids/contentIds/{id}                                     contentById (cached: content
 *        under an id never changes).
 */
import { FailedPreconditionError, InternalError, UnavailableError } from '@sluice/errors';
import { RETRY_POLICIES, backoffDelay, pause, type Backoff } from '@sluice/retry';
import { BoundedCache } from './bounded-cache.ts';
import type {
  EnsureSchemaRequest,
  RegisteredSchema,
  RegistryCallOptions,
  SchemaRegistry,
} from './registry.ts';

/** Options of {@link ApicurioRegistry}. */
export interface ApicurioRegistryOptions {
  /** Base URL of the v3 API, e.g. `http://127.0.0.1:18080/apis/registry/v3`. */
  readonly url: string;
  /** Group of Sluice's artifacts. @default 'default' */
  readonly groupId?: string;
  /** Time limit of one HTTP request. @default 5000 */
  readonly timeoutMs?: number;
  /**
   * Extra attempts after a REGISTRY_UNAVAILABLE failure (refused connection, timeout, 5xx, 429).
   * @default 2 (`RETRY_POLICIES.registry.attempts` − 1, in @sluice/retry)
   */
  readonly retries?: number;
  /**
   * Ceiling of the first retry delay; each retry doubles it, up to `RETRY_POLICIES.registry.capMs`,
   * with the policy's jitter. @default 200 (`RETRY_POLICIES.registry.baseMs`)
   */
  readonly retryDelayMs?: number;
  /** Entries of the contentId → content cache. @default 1000 */
  readonly cacheSize?: number;
  /**
   * The compatibility rule put on each artifact. @default 'BACKWARD_TRANSITIVE' (see above)
   */
  readonly compatibility?: CompatibilityLevel;
  /** Sent with every request, e.g. `{ authorization: 'Bearer …' }`. */
  readonly headers?: Readonly<Record<string, string>>;
  /** @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

interface CreateArtifactResponse {
  readonly artifact?: { readonly groupId?: string | null; readonly artifactId?: string };
  readonly version?: {
    readonly version?: string;
    readonly globalId?: number;
    readonly contentId?: number;
    readonly groupId?: string | null;
  };
}

const PROTOBUF_CONTENT_TYPE = 'application/x-protobuf';

/** Apicurio's compatibility levels that keep old events readable by new consumers. */
export type CompatibilityLevel = 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FULL' | 'FULL_TRANSITIVE';

/** Apicurio's answer to a refused request (ProblemDetails, with `causes` for rule violations). */
interface Problem {
  readonly status: number;
  readonly name: string;
  readonly reason: string;
  readonly causes: readonly string[];
}

/** {@link SchemaRegistry} on Apicurio Registry 3.x. */
export class ApicurioRegistry implements SchemaRegistry {
  readonly url: string;
  readonly groupId: string;
  readonly #timeoutMs: number;
  readonly #retries: number;
  readonly #backoff: Backoff;
  readonly #headers: Readonly<Record<string, string>>;
  readonly #fetch: typeof fetch;
  readonly #rules: Readonly<Record<'COMPATIBILITY' | 'VALIDITY', string>>;
  readonly #contents: BoundedCache<number, string>;
  readonly #contentLookups = new Map<number, Promise<string | undefined>>();

  constructor(options: ApicurioRegistryOptions) {
    const parsed = URL.parse(options.url);
    if (parsed === null || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      throw new FailedPreconditionError(
        'CONFIG_INVALID',
        `schema registry URL "${options.url}" is not an http(s) URL: use the v3 API root, e.g. http://127.0.0.1:18080/apis/registry/v3`,
      );
    }
    this.url = options.url.replace(/\/+$/, '');
    this.groupId = options.groupId ?? 'default';
    this.#timeoutMs = options.timeoutMs ?? 5000;
    this.#retries = options.retries ?? RETRY_POLICIES.registry.attempts - 1;
    const baseMs = options.retryDelayMs ?? RETRY_POLICIES.registry.baseMs;
    this.#backoff = {
      baseMs,
      capMs: Math.max(baseMs, RETRY_POLICIES.registry.capMs),
      jitter: RETRY_POLICIES.registry.jitter,
    };
    this.#headers = options.headers ?? {};
    this.#rules = { COMPATIBILITY: options.compatibility ?? 'BACKWARD_TRANSITIVE', VALIDITY: 'FULL' };
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#contents = new BoundedCache(options.cacheSize ?? 1000);
  }

  async ensureSchema(
    request: EnsureSchemaRequest,
    options: RegistryCallOptions = {},
  ): Promise<RegisteredSchema> {
    const artifactType = request.artifactType ?? 'PROTOBUF';
    const path = `/groups/${encodeURIComponent(this.groupId)}/artifacts?ifExists=FIND_OR_CREATE_VERSION`;
    const body = {
      artifactId: request.artifactId,
      artifactType,
      firstVersion: { content: { content: request.content, contentType: PROTOBUF_CONTENT_TYPE } },
    };
    const operation = `registering artifact ${this.groupId}/${request.artifactId}`;
    // Rules go on before a new version is offered, so an existing artifact's change is checked;
    // a new artifact gets them right after its first version.
    const hadRules = await this.#ensureRules(request.artifactId, options.signal);
    let response: CreateArtifactResponse | undefined;
    try {
      response = await this.#request<CreateArtifactResponse>('POST', path, operation, options.signal, body);
    } catch (error) {
      throw this.#explainRefusal(error, request.artifactId);
    }
    if (!hadRules) await this.#ensureRules(request.artifactId, options.signal);
    const version = response?.version;
    if (
      version === undefined ||
      typeof version.contentId !== 'number' ||
      typeof version.globalId !== 'number' ||
      typeof version.version !== 'string'
    ) {
      throw new InternalError(
        `Apicurio Registry answered ${operation} without a version's contentId and globalId: is ${this.url} an Apicurio Registry 3.x v3 API?`,
        { code: 'REGISTRY_REJECTED' },
      );
    }
    this.#contents.set(version.contentId, request.content);
    return {
      groupId: this.groupId,
      artifactId: response?.artifact?.artifactId ?? request.artifactId,
      version: version.version,
      contentId: version.contentId,
      globalId: version.globalId,
    };
  }

  /**
   * Adds the rules the artifact lacks. Resolves false when the artifact does not exist yet.
   */
  async #ensureRules(artifactId: string, signal: AbortSignal | undefined): Promise<boolean> {
    const path = `/groups/${encodeURIComponent(this.groupId)}/artifacts/${encodeURIComponent(artifactId)}/rules`;
    const present = await this.#request<string[]>('GET', path, `reading the rules of ${artifactId}`, signal);
    if (present === undefined) return false;
    for (const [ruleType, config] of Object.entries(this.#rules)) {
      if (present.includes(ruleType)) continue;
      try {
        await this.#request('POST', path, `adding the ${ruleType} rule to ${artifactId}`, signal, {
          ruleType,
          config,
        });
      } catch (error) {
        // Another replica starting at the same time added it first.
        if (!(error instanceof InternalError && error.details.status === 409)) throw error;
      }
    }
    return true;
  }

  /** A rule violation as the error a developer can act on; other errors unchanged. */
  #explainRefusal(error: unknown, artifactId: string): unknown {
    if (!(error instanceof InternalError) || error.details.problem !== 'RuleViolationException') return error;
    const causes =
      typeof error.details.causes === 'string' && error.details.causes !== '' ? error.details.causes : '';
    return new FailedPreconditionError(
      'SCHEMA_INCOMPATIBLE',
      `the schema registry refused the changed .proto of ${this.groupId}/${artifactId}: ${error.details.reason}` +
        `${causes ? ` (${causes})` : ''}. Its rules are VALIDITY ${this.#rules.VALIDITY} and COMPATIBILITY ` +
        `${this.#rules.COMPATIBILITY}: every event stored on the topic must stay decodable, so add fields under new ` +
        'numbers, and never remove, renumber or retype one (reserve the number and name of a field you drop)',
      { cause: error, details: { artifactId } },
    );
  }

  async contentById(contentId: number, options: RegistryCallOptions = {}): Promise<string | undefined> {
    const cached = this.#contents.get(contentId);
    if (cached !== undefined) return cached;
    // Concurrent lookups of one id (a burst of records from a new producer) share one request,
    // which no single caller's signal may cancel; each caller stops waiting on its own signal.
    let lookup = this.#contentLookups.get(contentId);
    if (lookup === undefined) {
      lookup = this.#request<string>(
        'GET',
        `/ids/contentIds/${contentId}`,
        `reading contentId ${contentId}`,
        undefined,
      )
        .then((content) => {
          if (content !== undefined) this.#contents.set(contentId, content);
          return content;
        })
        .finally(() => this.#contentLookups.delete(contentId));
      this.#contentLookups.set(contentId, lookup);
    }
    return options.signal === undefined ? lookup : untilAborted(lookup, options.signal);
  }

  /**
   * One call with retries. Resolves `undefined` on 404 (for lookups), the parsed JSON for
   * JSON answers, the text otherwise.
   */
  async #request<T>(
    method: 'GET' | 'POST',
    path: string,
    operation: string,
    signal: AbortSignal | undefined,
    body?: unknown,
  ): Promise<T | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#attempt<T>(method, path, operation, signal, body);
      } catch (error) {
        const retriable = error instanceof UnavailableError && !(signal?.aborted ?? false);
        if (!retriable || attempt > this.#retries) throw error;
        await pause(backoffDelay(attempt, this.#backoff), signal);
      }
    }
  }

  async #attempt<T>(
    method: 'GET' | 'POST',
    path: string,
    operation: string,
    signal: AbortSignal | undefined,
    body?: unknown,
  ): Promise<T | undefined> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const url = `${this.url}${path}`;
    let response: Response;
    try {
      response = await this.#fetch(url, {
        method,
        headers: {
          accept: 'application/json, */*',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...this.#headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
      });
    } catch (error) {
      if (signal?.aborted === true) throw signal.reason;
      throw this.#unavailable(
        operation,
        timeout.aborted ? `no answer within ${this.#timeoutMs} ms` : describe(error),
        error,
      );
    }
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      if (signal?.aborted === true) throw signal.reason;
      throw this.#unavailable(operation, `the answer broke off: ${describe(error)}`, error);
    }
    if (response.ok) {
      const isJson = (response.headers.get('content-type') ?? '').includes('json');
      return (isJson ? JSON.parse(text) : text) as T;
    }
    if (response.status === 404 && method === 'GET') return undefined;
    const problem = problemOf(response.status, text);
    if (response.status >= 500 || response.status === 408 || response.status === 429) {
      throw this.#unavailable(operation, `HTTP ${response.status}: ${problem.reason}`);
    }
    throw new InternalError(
      `Apicurio Registry refused ${operation} (HTTP ${response.status}): ${problem.reason}`,
      {
        code: 'REGISTRY_REJECTED',
        details: {
          status: response.status,
          url,
          problem: problem.name,
          reason: problem.reason,
          causes: problem.causes.join('; '),
        },
      },
    );
  }

  #unavailable(operation: string, why: string, cause?: unknown): UnavailableError {
    return new UnavailableError(
      'REGISTRY_UNAVAILABLE',
      `Apicurio Registry at ${this.url} failed ${operation}: ${why}; check that it is running and reachable`,
      { cause },
    );
  }
}

// Apicurio answers errors as ProblemDetails: { title, detail, status, name, causes? }.
function problemOf(status: number, text: string): Problem {
  try {
    const parsed = JSON.parse(text) as {
      detail?: unknown;
      title?: unknown;
      message?: unknown;
      name?: unknown;
      causes?: unknown;
    };
    const reason = [parsed.title, parsed.detail, parsed.message].find(
      (c): c is string => typeof c === 'string' && c !== '',
    );
    const causes = Array.isArray(parsed.causes)
      ? parsed.causes.flatMap((c: { description?: unknown; context?: unknown }) =>
          typeof c.description === 'string'
            ? [`${c.description}${typeof c.context === 'string' ? ` at ${c.context}` : ''}`]
            : [],
        )
      : [];
    return {
      status,
      name: typeof parsed.name === 'string' ? parsed.name : '',
      reason: reason ?? `HTTP ${status}`,
      causes,
    };
  } catch {
    const trimmed = text.trim();
    return {
      status,
      name: '',
      reason: trimmed === '' ? `HTTP ${status}` : trimmed.slice(0, 500),
      causes: [],
    };
  }
}

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

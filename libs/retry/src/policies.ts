/**
 * Every place Sluice (or a client library it configures) tries something again, one row each.
 * A layer takes its numbers from its row; its options may override them (tests do, to go fast).
 *
 * Layers multiply when one runs inside a single attempt of another: `within` names those outer
 * layers. On the path of one S3 part they nest three deep:
 *
 *   record (10, the stream processor re-runs the chunk event, then dead-letters)
 *     └ partWrite (3, the part task redoes read → UploadPart → PartStored → save)
 *         └ s3Request (3, the AWS SDK resends the one HTTP request)
 *
 * so one part costs at most 3 × 3 × 10 = 90 S3 requests ({@link S3_REQUESTS_PER_PART_AT_MOST}),
 * spread over about two minutes of backoff (the record's ceilings alone add up to 121.5 s) before
 * the upload is failed. That is acceptable because every request is idempotent (same part
 * number, same byte range: S3 overwrites), the bytes wait in Redis, at most `partConcurrency`
 * parts per process are in flight, and only an outage of the store as a whole gets that far —
 * 90 requests in two minutes is under one a second. The layers are kept rather than collapsed
 * because each rides out a different length of trouble: the SDK a dropped connection or one 503
 * (milliseconds, without redoing the Redis read), the part task a blip of a second or two
 * (without re-running the record and its other parts), the record an outage of minutes. The part
 * task was 4 attempts (3 × 4 × 10 = 120); 3 is enough for a blip, as the SDK has already retried
 * each request inside it.
 *
 * Layers that never give up (`attempts: Infinity`) are the ones that may not drop anything: a
 * dead letter, a reopened stream, a projected batch. They wait, with backoff, until the work is
 * done or their signal aborts.
 */
import type { Backoff, BackoffOptions } from './backoff.ts';

/** The names of the layers that retry. */
export type RetryLayer =
  | 's3Request'
  | 'partWrite'
  | 'record'
  | 'deadLetterProduce'
  | 'kafkaProduce'
  | 'kafkaConsumer'
  | 'streamReopen'
  | 'registry'
  | 'projectorBatch'
  | 'client';

/** How one layer retries. */
export interface RetryPolicy extends Backoff {
  /** Who runs this loop, for people reading the table. */
  readonly layer: string;
  /** Attempts in all, the first included; `Infinity` for loops that end only on success or abort. */
  readonly attempts: number;
  /**
   * Whether a server's "retry after" hint (S3 `Retry-After`, gRPC `grpc-retry-pushback-ms`) is a
   * floor for the delay. Where it is, a pushback may also not count against `attempts`.
   */
  readonly honoursPushback: boolean;
  /** Layers whose single attempt runs this whole loop: their attempts multiply with these. */
  readonly within: readonly RetryLayer[];
}

/** The table. Frozen, and typed by its literal values. */
export const RETRY_POLICIES = Object.freeze({
  /**
   * The AWS SDK's own retry of one S3 request (`S3Clients` in @sluice/storage sets `maxAttempts`).
   * The SDK's standard strategy does its own timing: base 50 ms (1 s when throttled), cap 20 s,
   * full jitter, and it waits at least a `Retry-After` hint (up to 5 s over its backoff). Kept
   * short: it is the innermost layer, and two more wrap it on the part path.
   */
  s3Request: {
    layer: '@sluice/storage S3Clients → AWS SDK standard retry strategy',
    attempts: 3,
    baseMs: 50,
    capMs: 20_000,
    jitter: 'full',
    honoursPushback: true,
    within: ['partWrite', 'record'],
  },
  /**
   * The part task redoing one part write (Redis read, UploadPart or PutObject, PartStored, save)
   * on a retriable failure before handing it to the record's retry. For a blip of a second or
   * two; longer trouble is the record's.
   */
  partWrite: {
    layer: '@sluice/part-writer-core PartTasks',
    attempts: 3,
    baseMs: 200,
    capMs: 5000,
    jitter: 'full',
    honoursPushback: false,
    within: ['record'],
  },
  /**
   * The stream processor re-running a record's handler (and its deferred work) before the record
   * is dead-lettered and its upload failed. Rides out an S3, Redis or registry outage of a couple
   * of minutes: ceilings 0.5, 1, 2, 4, 8, 16, 30, 30, 30 s.
   */
  record: {
    layer: '@sluice/kafka StreamProcessor (part-writer, assembler)',
    attempts: 10,
    baseMs: 500,
    capMs: 30_000,
    jitter: 'full',
    honoursPushback: false,
    within: [],
  },
  /**
   * The stream processor sending a failed record to its dead-letter topic. Dropping the record is
   * never an option, so it never gives up: the partition waits until the letter is durable or
   * the partition is revoked (the next owner then tries the record again).
   */
  deadLetterProduce: {
    layer: '@sluice/kafka StreamProcessor dead-lettering',
    attempts: Infinity,
    baseMs: 200,
    capMs: 10_000,
    jitter: 'full',
    honoursPushback: false,
    within: [],
  },
  /**
   * @platformatic/kafka's retry of one produce request (`createKafkaProducer`: `retries` is
   * attempts − 1). Idempotent with one request in flight, so a retry neither duplicates nor
   * reorders. Short and bounded, so an outage surfaces as EVENTS_UNAVAILABLE to the layer above
   * (part task, record, dead-lettering, the client's call) instead of a send that never settles.
   */
  kafkaProduce: {
    layer: '@sluice/kafka createKafkaProducer → @platformatic/kafka',
    attempts: 6,
    baseMs: 250,
    capMs: 500,
    jitter: 'equal',
    honoursPushback: false,
    within: ['partWrite', 'record', 'deadLetterProduce'],
  },
  /**
   * @platformatic/kafka's retry of one consumer request (join, sync, fetch, commit) in the
   * backbone's consumers. Long enough (at least about 5 s) for a group coordinator to move;
   * beyond that the stream fails and is reopened.
   */
  kafkaConsumer: {
    layer: '@sluice/kafka EventBackbone.consumer → @platformatic/kafka',
    attempts: 11,
    baseMs: 500,
    capMs: 1000,
    jitter: 'equal',
    honoursPushback: false,
    within: ['streamReopen'],
  },
  /**
   * Reopening a consumer's message stream after it failed (the stream processor, the projector's
   * batch source). Never gives up while the process runs: it resumes from committed offsets.
   */
  streamReopen: {
    layer: '@sluice/kafka StreamProcessor, projector BatchSource',
    attempts: Infinity,
    baseMs: 200,
    capMs: 5000,
    jitter: 'full',
    honoursPushback: false,
    within: [],
  },
  /**
   * Apicurio Registry calls (`ApicurioRegistry`: `retries` is attempts − 1) on REGISTRY_UNAVAILABLE
   * (refused, timed out, 5xx, 429). Few and fast: at start-up a missing registry should be
   * reported in seconds, and when decoding a record the record's own retry waits longer.
   */
  registry: {
    layer: '@sluice/schema-registry ApicurioRegistry',
    attempts: 3,
    baseMs: 200,
    capMs: 5000,
    jitter: 'full',
    honoursPushback: false,
    within: ['record', 'projectorBatch'],
  },
  /**
   * The projector trying a batch again (decode, or the MySQL transaction). Never gives up: a
   * projection may not skip events; it stops only when the projector does.
   */
  projectorBatch: {
    layer: 'projector BatchWriter',
    attempts: Infinity,
    baseMs: 100,
    capMs: 10_000,
    jitter: 'full',
    honoursPushback: false,
    within: [],
  },
  /**
   * `withRetry` in @sluice/client, around every gRPC call. Honours `grpc-retry-pushback-ms`
   * (staging full): never earlier than asked, and a pushback does not count against `attempts`
   * (it is bounded by time instead, `backPressureTimeoutMs`). Equal jitter: see {@link Jitter}.
   */
  client: {
    layer: '@sluice/client withRetry',
    attempts: 8,
    baseMs: 250,
    capMs: 10_000,
    jitter: 'equal',
    honoursPushback: true,
    within: [],
  },
} as const satisfies Record<RetryLayer, RetryPolicy>);

/**
 * The most S3 requests one part can cost before its upload is failed: the product of the
 * attempts of `s3Request`, `partWrite` and `record` (see the top of this file). The tests check
 * it against the table.
 */
export const S3_REQUESTS_PER_PART_AT_MOST = 90;

/**
 * The most times `layer`'s operation can run, its own attempts times those of the layers it runs
 * within, along the longest nesting. `Infinity` when a layer on the way never gives up.
 */
export function stackedAttempts(
  layer: RetryLayer,
  policies: Readonly<Record<RetryLayer, RetryPolicy>> = RETRY_POLICIES,
): number {
  const policy = policies[layer];
  const outer = policy.within.map((name) => stackedAttempts(name, policies));
  return policy.attempts * Math.max(1, ...outer);
}

/** `policy` with a lib's option overrides applied (undefined fields keep the table's value). */
export function withOverrides(policy: RetryPolicy, options: BackoffOptions = {}): RetryPolicy {
  return {
    ...policy,
    attempts: options.maxAttempts ?? policy.attempts,
    baseMs: options.initialDelayMs ?? policy.baseMs,
    capMs: options.maxDelayMs ?? policy.capMs,
  };
}

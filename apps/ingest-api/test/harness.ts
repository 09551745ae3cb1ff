import { randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import { Consumer } from '@platformatic/kafka';
import { credentials, Metadata, ServerCredentials, type ServiceError } from '@grpc/grpc-js';
import { ChecksumPool } from '@sluice/checksums';
import { EventBackbone } from '@sluice/kafka';
import {
  AbortUploadRequest,
  CompleteUploadRequest,
  GetUploadStatusRequest,
  InitiateUploadRequest,
  IntakeServiceClient,
  UploadChunkRequest,
  type AbortUploadResponse,
  type ChunkEvent,
  type CompleteUploadResponse,
  type GetUploadStatusResponse,
  type InitiateUploadResponse,
  type UploadChunkResponse,
} from '@sluice/proto';
import { RedisStaging } from '@sluice/staging';
import { parseTenants, type TenantLimits } from '@sluice/tenants';
import {
  createRedisPrefix,
  eventTopicPrefix,
  kafkaBrokers,
  requireServices,
  s3Settings,
  serviceUrl,
} from '@sluice/testing';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { buildApp, type App } from '../src/app.ts';
import { DEFAULT_LIMITS, type IngestLimits } from '../src/limits.ts';
import type { ProjectedUploads } from '../src/status.ts';
import type { ChunkEvents } from '../src/uploads.ts';

export const KEYS = { acme: 'acme-key', globex: 'globex-key' } as const;

/** A tenants file with two tenants, one drive each, pointing at the local S3 server. */
/** The tenants file of the tests: acme (with `acmeLimits`, if any) and globex. */
export function tenantsText(partSize = 5 * 1024 * 1024, acmeLimits?: TenantLimits): string {
  const s = s3Settings();
  const drive = (name: string) => ({
    name,
    endpoint: s.endpoint,
    region: s.region,
    bucket: s.bucket,
    keyTemplate: '{tenant}/{drive}/{node_id}/{upload_id}',
    partSizePolicy: { kind: 'fixed', partSize },
    credentials: { accessKeyIdEnv: 'SLUICE_S3_ACCESS_KEY', secretAccessKeyEnv: 'SLUICE_S3_SECRET_KEY' },
  });
  return JSON.stringify({
    tenants: [
      {
        name: 'acme',
        apiKeys: [{ key: KEYS.acme }],
        drives: [drive('docs')],
        ...(acmeLimits ? { limits: acmeLimits } : {}),
      },
      { name: 'globex', apiKeys: [{ key: KEYS.globex }], drives: [drive('vault')] },
    ],
  });
}

export const tenantsEnv = () => ({
  SLUICE_S3_ACCESS_KEY: s3Settings().accessKeyId,
  SLUICE_S3_SECRET_KEY: s3Settings().secretAccessKey,
});

type Result<Res> = Promise<{ err: ServiceError | null; res: Res | undefined }>;

/** The unary calls, taking partial requests (unset fields get proto defaults). */
export interface Rpc {
  initiate(req: Partial<InitiateUploadRequest>, md: Metadata): Result<InitiateUploadResponse>;
  chunk(req: Partial<UploadChunkRequest>, md: Metadata): Result<UploadChunkResponse>;
  complete(req: Partial<CompleteUploadRequest>, md: Metadata): Result<CompleteUploadResponse>;
  abort(req: Partial<AbortUploadRequest>, md: Metadata): Result<AbortUploadResponse>;
  status(req: Partial<GetUploadStatusRequest>, md: Metadata): Result<GetUploadStatusResponse>;
}

export interface Harness {
  readonly client: IntakeServiceClient;
  readonly rpc: Rpc;
  readonly staging: RedisStaging;
  readonly backbone: EventBackbone;
  readonly auth: (key?: string) => Metadata;
  /** Every ChunkEvent on the test's intake.chunks topic, read from the start. */
  readonly events: () => Promise<ChunkEvent[]>;
}

/** An in-process ingest-api on a random port over real Redis, Kafka and Apicurio. */
export async function startIngest(
  t: TestContext,
  options: {
    limits?: Partial<IngestLimits>;
    stagingFull?: (uploadId: string) => boolean;
    /** Wraps the real producer, e.g. to make it fail at a chosen moment. */
    events?: (real: ChunkEvents) => ChunkEvents;
    /** The projection status and ListUploads read when Redis has no state. @default none */
    projected?: ProjectedUploads;
    /** Limits of tenant acme. @default none */
    acmeLimits?: TenantLimits;
  } = {},
): Promise<Harness> {
  await requireServices(['redis', 'kafka', 'apicurio']);
  const { redis, prefix } = createRedisPrefix(t);
  const staging = new RedisStaging({ redis, namespace: prefix.slice(0, -1), ttlMs: 600_000 });
  const topicPrefix = eventTopicPrefix(t, 'ingest');
  const logger = pino({ level: 'silent' });
  const backbone = await EventBackbone.connect({
    brokers: kafkaBrokers(),
    registryUrl: serviceUrl('apicurio'),
    topicPrefix,
    partitions: 2,
    clientId: 'ingest-test',
    logger,
    metrics: new Registry(),
  });
  t.after(() => backbone.close());
  // One hashing thread; chunks under 256 KiB are hashed inline, so tests cover both paths.
  const checksums = new ChecksumPool({ threads: 1 });
  t.after(() => checksums.close());
  const app = buildApp({
    logger,
    registry: new Registry(),
    staging,
    checksums,
    events: options.events
      ? options.events(backbone.producer('intake.chunks'))
      : backbone.producer('intake.chunks'),
    tenants: parseTenants(tenantsText(undefined, options.acmeLimits), {
      env: tenantsEnv(),
      readFile: () => '',
    }),
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    stagingFull: options.stagingFull ?? (() => false),
    watch: { intervalMs: 50 },
    ...(options.projected ? { projected: options.projected } : {}),
  });
  const client = await serve(t, app);
  const events = async (): Promise<ChunkEvent[]> => {
    const consumer = new Consumer({
      groupId: `read-${randomUUID()}`,
      clientId: 'ingest-test-reader',
      bootstrapBrokers: kafkaBrokers(),
      maxWaitTime: 200,
    });
    try {
      const topic = backbone.topics['intake.chunks'];
      const ends = await consumer.listOffsets({ topics: [topic] });
      const total = (ends.get(topic) ?? []).reduce((s, o) => s + Number(o), 0);
      const out: ChunkEvent[] = [];
      if (total === 0) return out;
      const stream = await consumer.consume({ topics: [topic], mode: 'earliest' });
      for await (const m of stream) {
        out.push(await backbone.codecs['intake.chunks'].decode(m.value));
        if (out.length >= total) break;
      }
      return out;
    } finally {
      await consumer.close(true);
    }
  };
  const rpc: Rpc = {
    initiate: (req, md) =>
      call(client.initiateUpload.bind(client), InitiateUploadRequest.fromPartial(req), md),
    chunk: (req, md) => call(client.uploadChunk.bind(client), UploadChunkRequest.fromPartial(req), md),
    complete: (req, md) =>
      call(client.completeUpload.bind(client), CompleteUploadRequest.fromPartial(req), md),
    abort: (req, md) => call(client.abortUpload.bind(client), AbortUploadRequest.fromPartial(req), md),
    status: (req, md) =>
      call(client.getUploadStatus.bind(client), GetUploadStatusRequest.fromPartial(req), md),
  };
  return { client, rpc, staging, backbone, auth, events };
}

/** Serves an app's gRPC on a random local port until the test ends, and a client of it. */
export async function serve(t: TestContext, app: App): Promise<IntakeServiceClient> {
  const port = await new Promise<number>((resolve, reject) =>
    app.grpc.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    ),
  );
  t.after(
    () =>
      new Promise<void>((resolve) => {
        // A call a failed test left open must not hold the suite: force after a grace period.
        const force = setTimeout(() => app.grpc.forceShutdown(), 2000);
        app.grpc.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  );
  const client = new IntakeServiceClient(`127.0.0.1:${port}`, credentials.createInsecure(), {
    'grpc.max_send_message_length': 128 * 1024 * 1024,
    'grpc.max_receive_message_length': 128 * 1024 * 1024,
  });
  t.after(() => client.close());
  return client;
}

/** Bearer metadata for an API key; an empty key sends none. */
export function auth(key: string = KEYS.acme): Metadata {
  const md = new Metadata();
  if (key) md.set('authorization', `Bearer ${key}`);
  return md;
}

/** Calls a unary method and resolves with its answer or its error. */
export function call<Req, Res>(
  fn: (req: Req, md: Metadata, cb: (err: ServiceError | null, res?: Res) => void) => unknown,
  req: Req,
  md: Metadata,
): Promise<{ err: ServiceError | null; res: Res | undefined }> {
  return new Promise((resolve) => fn(req, md, (err, res) => resolve({ err, res })));
}

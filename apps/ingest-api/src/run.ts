import { Startup } from '@sluice/startup';
import { ChecksumPool } from '@sluice/checksums';
import { parseEnvOrExit, projectionDatabaseUrl } from '@sluice/config';
import { createMetricsRegistry, httpComponent } from '@sluice/http';
import { createLogger } from '@sluice/logging';
import { openProjectionDatabase } from '@sluice/projection';
import { countBuffersInHeapLimits, mysqlSsl, printableUrl, runComponents } from '@sluice/startup';
import { MemoryGate, RedisStaging, mastersMemory } from '@sluice/staging';
import type { ServerCredentials } from '@grpc/grpc-js';
import { buildApp } from './app.ts';
import { ingestEnv } from './config.ts';
import { grpcComponent } from './grpc-component.ts';
import { serverCredentials } from './tls.ts';
import { stagingBudgetRisks, stagingCapRisk, type IngestLimits } from './limits.ts';
import { assemblerOutcomes } from './decided-outcomes.ts';
import { projectedUploads } from './projected-uploads.ts';

// Chunks arrive as buffers of many MiB: without this, nearly each one costs a full collection.
countBuffersInHeapLimits();

const config = parseEnvOrExit('ingest-api', ingestEnv, process.env);
const logger = createLogger({ service: 'ingest-api', level: config.SLUICE_LOG_LEVEL });
const tls = {
  certFile: config.SLUICE_INGEST_TLS_CERT,
  keyFile: config.SLUICE_INGEST_TLS_KEY,
  clientCaFile: config.SLUICE_INGEST_TLS_CLIENT_CA,
  reloadMs: config.SLUICE_INGEST_TLS_RELOAD,
};
let credentials: ServerCredentials;
try {
  credentials = serverCredentials(tls);
} catch (err) {
  process.stderr.write(`ingest-api: ${(err as Error).message}\n`);
  process.exit(2);
}
logger.info(
  { transport: !tls.certFile ? 'plaintext' : tls.clientCaFile ? 'mtls' : 'tls', reload_ms: tls.reloadMs },
  'gRPC transport security',
);
const registry = createMetricsRegistry('ingest-api');

const startup = new Startup('ingest-api', logger);
const fatal = (message: string): never => startup.fatal(message);

const tenants = startup.tenants(config.SLUICE_TENANTS_FILE);

const redisUrl = printableUrl(config.SLUICE_REDIS_URL);
const redis = await startup.redis(config);
// Chunk bytes travel on their own connection, so state commands never wait behind them.
const bulkRedis = await startup.redis(config, 'chunk bytes');
// Every master of a cluster is checked: one that evicts could drop any upload's chunks.
const memories = await mastersMemory(redis).catch((err: unknown) =>
  fatal(`Redis at ${redisUrl} cannot be reached: ${(err as Error).message}`),
);
for (const [node, memory] of memories) {
  const where = memories.size > 1 ? `Redis master ${node} of ${redisUrl}` : `Redis at ${redisUrl}`;
  if (memory.policy !== 'noeviction') {
    fatal(
      `${where} has maxmemory-policy ${memory.policy}: it would evict staged chunks. ` +
        'Set maxmemory-policy noeviction.',
    );
  }
  if (memory.max === 0)
    logger.warn(`${where} has no maxmemory: back-pressure cannot tell when it is full; set maxmemory`);
}

const gate = new MemoryGate({
  redis,
  highWatermark: config.SLUICE_INGEST_REDIS_HIGH_WATERMARK / 100,
  lowWatermark:
    Math.min(config.SLUICE_INGEST_REDIS_LOW_WATERMARK, config.SLUICE_INGEST_REDIS_HIGH_WATERMARK - 1) / 100,
});
const staging = new RedisStaging({
  redis,
  bulkRedis,
  ttlMs: config.SLUICE_STAGING_TTL,
  namespace: config.SLUICE_REDIS_NAMESPACE,
});
const backbone = await startup.backbone(config, registry);

// The projection (read only) answers for what happened after staging; a pool connects lazily.
// Every read is bounded: a connection within 5 s, a query within 5 s (WatchUpload's reads are
// bounded again by its own timeout), and at most 100 reads queue for a connection.
let mysqlTls: ReturnType<typeof mysqlSsl> = {};
try {
  mysqlTls = mysqlSsl(config);
} catch (err) {
  fatal((err as Error).message);
}
const projection = openProjectionDatabase(projectionDatabaseUrl(config), {
  mysql: { ...mysqlTls, connectionLimit: 4, timezone: 'Z', connectTimeout: 5000, queueLimit: 100 },
  postgres: { ...mysqlTls, max: 4, connectionTimeoutMillis: 5000 },
});

const limits: IngestLimits = {
  maxUnaryChunkBytes: config.SLUICE_INGEST_MAX_UNARY_CHUNK,
  maxChunkBytes: config.SLUICE_INGEST_MAX_CHUNK,
  maxStagedBytesPerUpload: config.SLUICE_INGEST_MAX_STAGED_PER_UPLOAD,
  ...(config.SLUICE_INGEST_STAGED_BYTES_MAX > 0
    ? { maxStagedBytesGlobal: config.SLUICE_INGEST_STAGED_BYTES_MAX }
    : {}),
  maxChunkNumber: config.SLUICE_INGEST_MAX_CHUNK_NUMBER,
  retryPushbackMs: config.SLUICE_INGEST_RETRY_PUSHBACK,
  reservationLeaseMs: config.SLUICE_INGEST_RESERVATION_LEASE,
  authFailuresPerMinute: config.SLUICE_INGEST_AUTH_FAILURES_PER_MINUTE,
};
const capRisk = stagingCapRisk(limits, tenants.drives);
if (capRisk) logger.warn(capRisk);
for (const risk of stagingBudgetRisks(limits, tenants.drives, (tenant) => tenants.limits(tenant)))
  logger.warn(risk);

const checksums = new ChecksumPool({ threads: config.SLUICE_INGEST_HASH_THREADS });

const app = buildApp({
  logger,
  registry,
  staging,
  checksums,
  events: backbone.producer('intake.chunks'),
  tenants,
  limits,
  stagingFull: (uploadId) => gate.fullFor(staging.keys.meta(uploadId)),
  projected: projectedUploads(projection.queries({ queryTimeoutMs: 5000 })),
  outcomes: assemblerOutcomes(redis, staging.keys),
  receiveWindows: {
    stream: config.SLUICE_INGEST_RECEIVE_WINDOW,
    connection: config.SLUICE_INGEST_CONNECTION_WINDOW,
  },
  readiness: [
    { name: 'redis', probe: async () => void (await Promise.all([redis.ping(), bulkRedis.ping()])) },
  ],
});

await runComponents(
  [
    // Closed in reverse: gRPC drains its calls first, then events flush, then Redis goes.
    {
      name: 'redis',
      start: () => Promise.resolve(),
      close: async () => void (await Promise.all([redis.quit(), bulkRedis.quit()])),
    },
    { name: 'redis-memory', start: async () => void (await gate.start()), close: () => gate.close() },
    { name: 'events', start: () => Promise.resolve(), close: () => backbone.close() },
    { name: 'projection', start: () => Promise.resolve(), close: () => projection.close() },
    { name: 'checksums', start: () => checksums.start(), close: () => checksums.close() },
    httpComponent(app.http, { host: config.SLUICE_HTTP_HOST, port: config.SLUICE_INGEST_HTTP_PORT }),
    {
      name: 'health',
      start: () => app.serving.start(),
      close: () => Promise.resolve(app.serving.close()),
    },
    // Closed first: health says NOT_SERVING, /readyz 503, watches end; chunk calls finish.
    grpcComponent(
      app.grpc,
      { host: config.SLUICE_INGEST_HOST, port: config.SLUICE_INGEST_PORT, credentials },
      {
        drain: () => app.serving.drain(),
        delayMs: config.SLUICE_INGEST_DRAIN_DELAY,
        graceMs: config.SLUICE_INGEST_DRAIN_GRACE,
      },
    ),
  ],
  { logger },
);

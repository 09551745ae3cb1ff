import { Startup } from '@sluice/startup';
import { parseEnvOrExit } from '@sluice/config';
import { createMetricsRegistry, httpComponent } from '@sluice/http';
import { createLogger } from '@sluice/logging';
import { PartStateStore, type ResolvedDrive } from '@sluice/part-writer-core';
import { countBuffersInHeapLimits, runComponents } from '@sluice/startup';
import { RedisStaging } from '@sluice/staging';
import { S3Clients, objectStoresOf } from '@sluice/storage';
import { buildApp } from './app.ts';
import { partWriterEnv } from './config.ts';

// Parts are read from Redis and sent to S3 as buffers of many MiB: without this, many of them cost a full collection.
countBuffersInHeapLimits();

const config = parseEnvOrExit('part-writer', partWriterEnv, process.env);
const logger = createLogger({ service: 'part-writer', level: config.SLUICE_LOG_LEVEL });
const registry = createMetricsRegistry('part-writer');

const startup = new Startup('part-writer', logger);

const tenants = startup.tenants(config.SLUICE_TENANTS_FILE);

const redis = await startup.redis(config);
// Chunk bytes are read on their own connection, so state commands never wait behind them.
const bulkRedis = await startup.redis(config);
const staging = new RedisStaging({
  redis,
  bulkRedis,
  ttlMs: config.SLUICE_STAGING_TTL,
  namespace: config.SLUICE_REDIS_NAMESPACE,
});
const store = new PartStateStore({
  redis,
  stagingKeys: staging.keys,
  ttlMs: config.SLUICE_STAGING_TTL,
});
const s3 = new S3Clients({ requestTimeoutMs: config.SLUICE_PART_WRITER_S3_TIMEOUT });
const objects = objectStoresOf(s3);
const drive = (tenant: string, name: string): ResolvedDrive | undefined => {
  const found = tenants.driveOf(tenant, name);
  return (
    found && {
      objects: objects.for(found),
      checksumMode: found.checksumMode,
      partSizePolicy: found.partSizePolicy,
    }
  );
};

const backbone = await startup.backbone(config, registry);

const app = buildApp({
  logger,
  registry,
  redis,
  staging,
  store,
  drive,
  backbone,
  partConcurrency: config.SLUICE_PART_WRITER_PART_CONCURRENCY,
  uploadConcurrency: config.SLUICE_PART_WRITER_UPLOAD_CONCURRENCY,
  hashReorderBytes: config.SLUICE_PART_WRITER_HASH_REORDER_BYTES,
  groupId: config.SLUICE_PART_WRITER_GROUP_ID,
});

await runComponents(
  [
    // Closed in reverse: the processor drains its records and parts, then events flush, then clients go.
    {
      name: 'redis',
      start: () => Promise.resolve(),
      close: async () => {
        staging.close();
        await Promise.all([redis.quit(), bulkRedis.quit()]);
      },
    },
    { name: 's3', start: () => Promise.resolve(), close: () => s3.close() },
    { name: 'events', start: () => Promise.resolve(), close: () => backbone.close() },
    httpComponent(app.http, { host: config.SLUICE_HTTP_HOST, port: config.SLUICE_PART_WRITER_HTTP_PORT }),
    app.component,
  ],
  { logger },
);

import { readFileSync } from 'node:fs';
import { parseEnvOrExit } from '@sluice/config';
import { createMetricsRegistry, httpComponent } from '@sluice/http';
import { createLogger } from '@sluice/logging';
import { PartStateStore, type ResolvedDrive } from '@sluice/part-writer-core';
import { EventBackbone } from '@sluice/pipeline';
import { runComponents } from '@sluice/runtime';
import { RedisStaging } from '@sluice/staging';
import { S3Clients } from '@sluice/storage';
import { parseTenants } from '@sluice/tenants';
import { Redis } from 'ioredis';
import { buildApp } from './app.ts';
import { partWriterEnv } from './config.ts';

const config = parseEnvOrExit('part-writer', partWriterEnv, process.env);
const logger = createLogger({ service: 'part-writer', level: config.SLUICE_LOG_LEVEL });
const registry = createMetricsRegistry('part-writer');

function fatal(message: string): never {
  logger.fatal(message);
  process.stderr.write(`part-writer: ${message}\n`);
  process.exit(2);
}

let tenantsText: string;
try {
  tenantsText = readFileSync(config.SLUICE_TENANTS_FILE, 'utf8');
} catch (err) {
  fatal(`SLUICE_TENANTS_FILE=${config.SLUICE_TENANTS_FILE} cannot be read: ${(err as Error).message}`);
}
const tenants = (() => {
  try {
    return parseTenants(tenantsText, { env: process.env, readFile: (p) => readFileSync(p, 'utf8') });
  } catch (err) {
    return fatal(`${config.SLUICE_TENANTS_FILE}: ${(err as Error).message}`);
  }
})();

const redis = new Redis(config.SLUICE_REDIS_URL, { maxRetriesPerRequest: 2, lazyConnect: true });
// ioredis reconnects by itself; commands that fail meanwhile are retried by the processor.
redis.on('error', (err: Error) => logger.warn({ err }, 'Redis connection error'));
await redis
  .connect()
  .catch((err: unknown) =>
    fatal(`Redis at ${config.SLUICE_REDIS_URL} cannot be reached: ${(err as Error).message}`),
  );
const staging = new RedisStaging({
  redis,
  ttlMs: config.SLUICE_STAGING_TTL,
  namespace: config.SLUICE_REDIS_NAMESPACE,
});
const store = new PartStateStore({
  redis,
  stagingKeys: staging.keys,
  ttlMs: config.SLUICE_STAGING_TTL,
});
const s3 = new S3Clients({ requestTimeoutMs: config.SLUICE_PART_WRITER_S3_TIMEOUT });
const drive = (name: string): ResolvedDrive | undefined => {
  const found = tenants.driveByName(name);
  return (
    found && { client: s3.for(found), checksumMode: found.checksumMode, partSizePolicy: found.partSizePolicy }
  );
};

const backbone = await EventBackbone.connect({
  brokers: config.SLUICE_KAFKA_BROKERS,
  registryUrl: config.SLUICE_REGISTRY_URL,
  topicPrefix: config.SLUICE_TOPIC_PREFIX,
  partitions: config.SLUICE_KAFKA_PARTITIONS,
  replicationFactor: config.SLUICE_KAFKA_REPLICATION,
  clientId: 'part-writer',
  logger,
  metrics: registry,
}).catch((err: unknown) => fatal(`the event backbone cannot be reached: ${(err as Error).message}`));

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
  groupId: config.SLUICE_PART_WRITER_GROUP_ID,
});

await runComponents(
  [
    // Closed in reverse: the processor drains its records and parts, then events flush, then clients go.
    { name: 'redis', start: () => Promise.resolve(), close: async () => void (await redis.quit()) },
    { name: 's3', start: () => Promise.resolve(), close: () => s3.close() },
    { name: 'events', start: () => Promise.resolve(), close: () => backbone.close() },
    httpComponent(app.http, { host: config.SLUICE_HTTP_HOST, port: config.SLUICE_PART_WRITER_HTTP_PORT }),
    app.component,
  ],
  { logger },
);

import { parseEnvOrExit } from '@sluice/config';
import { createMetricsRegistry, httpComponent } from '@sluice/http';
import { createLogger } from '@sluice/logging';
import { EventBackbone } from '@sluice/pipeline';
import { runComponents } from '@sluice/runtime';
import { S3Clients } from '@sluice/storage';
import { Redis } from 'ioredis';
import { buildApp } from './app.ts';
import { assemblerEnv, loadTenants } from './config.ts';

const config = parseEnvOrExit('assembler', assemblerEnv, process.env);
const logger = createLogger({ service: 'assembler', level: config.SLUICE_LOG_LEVEL });
const registry = createMetricsRegistry('assembler');

function fatal(message: string): never {
  logger.fatal(message);
  process.stderr.write(`assembler: ${message}\n`);
  process.exit(2);
}

if (config.SLUICE_ASSEMBLER_IDLE_TIMEOUT >= config.SLUICE_STAGING_TTL) {
  fatal(
    `SLUICE_ASSEMBLER_IDLE_TIMEOUT (${config.SLUICE_ASSEMBLER_IDLE_TIMEOUT} ms) must be shorter than ` +
      `SLUICE_STAGING_TTL (${config.SLUICE_STAGING_TTL} ms), or Redis drops idle uploads before they are expired`,
  );
}
const tenants = loadTenants(config.SLUICE_TENANTS_FILE, fatal);
const redis = new Redis(config.SLUICE_REDIS_URL, { maxRetriesPerRequest: 2, lazyConnect: true });
await redis
  .connect()
  .catch((err: unknown) =>
    fatal(`Redis at ${config.SLUICE_REDIS_URL} cannot be reached: ${(err as Error).message}`),
  );
const s3 = new S3Clients();
const backbone = await EventBackbone.connect({
  brokers: config.SLUICE_KAFKA_BROKERS,
  registryUrl: config.SLUICE_REGISTRY_URL,
  topicPrefix: config.SLUICE_TOPIC_PREFIX,
  partitions: config.SLUICE_KAFKA_PARTITIONS,
  replicationFactor: config.SLUICE_KAFKA_REPLICATION,
  clientId: 'assembler',
  logger,
  metrics: registry,
}).catch((err: unknown) => fatal(`the event backbone cannot be reached: ${(err as Error).message}`));

const app = buildApp({
  logger,
  registry,
  backbone,
  redis,
  namespace: config.SLUICE_REDIS_NAMESPACE,
  tenants,
  s3,
  settings: {
    // A deployment (or test) with its own topic prefix gets its own consumer group.
    groupId: `${config.SLUICE_TOPIC_PREFIX}sluice-assembler`,
    concurrency: config.SLUICE_ASSEMBLER_CONCURRENCY,
    maxAttempts: config.SLUICE_ASSEMBLER_MAX_ATTEMPTS,
    idleTimeoutMs: config.SLUICE_ASSEMBLER_IDLE_TIMEOUT,
    expiryIntervalMs: config.SLUICE_ASSEMBLER_EXPIRY_INTERVAL,
    quarantine: {
      mode: config.SLUICE_ASSEMBLER_QUARANTINE_MODE,
      prefix: config.SLUICE_ASSEMBLER_QUARANTINE_PREFIX,
    },
    outcomeTtlMs: config.SLUICE_ASSEMBLER_OUTCOME_TTL,
    stagingTtlMs: config.SLUICE_STAGING_TTL,
  },
  ...(config.SLUICE_ASSEMBLER_TEST_CRASH_POINT === 'after-complete'
    ? {
        hooks: {
          afterComplete: (uploadId: string) => {
            logger.warn({ upload_id: uploadId }, 'test crash point after-complete: killing the process');
            process.kill(process.pid, 'SIGKILL');
          },
        },
      }
    : {}),
});

await runComponents(
  [
    // Closed in reverse: HTTP, then the sweeper, then the consumer drains, then the clients go.
    {
      name: 'clients',
      start: () => Promise.resolve(),
      close: async () => {
        await backbone.close();
        await s3.close();
        await redis.quit();
      },
    },
    ...app.components,
    httpComponent(app.http, { host: config.SLUICE_HTTP_HOST, port: config.SLUICE_ASSEMBLER_HTTP_PORT }),
  ],
  { logger },
);

import { Startup } from '@sluice/startup';
import { parseEnvOrExit } from '@sluice/config';
import { createMetricsRegistry, httpComponent } from '@sluice/http';
import { createLogger } from '@sluice/logging';
import { countBuffersInHeapLimits, runComponents } from '@sluice/startup';
import { S3Clients, objectStoresOf } from '@sluice/storage';
import { buildApp } from './app.ts';
import { assemblerEnv } from './config.ts';

// Objects are read back as buffers for their checksum: without this, many of them cost a full collection.
countBuffersInHeapLimits();

const config = parseEnvOrExit('assembler', assemblerEnv, process.env);
const logger = createLogger({ service: 'assembler', level: config.SLUICE_LOG_LEVEL });
const registry = createMetricsRegistry('assembler');

const startup = new Startup('assembler', logger);
const fatal = (message: string): never => startup.fatal(message);

if (config.SLUICE_ASSEMBLER_IDLE_TIMEOUT >= config.SLUICE_STAGING_TTL) {
  fatal(
    `SLUICE_ASSEMBLER_IDLE_TIMEOUT (${config.SLUICE_ASSEMBLER_IDLE_TIMEOUT} ms) must be shorter than ` +
      `SLUICE_STAGING_TTL (${config.SLUICE_STAGING_TTL} ms), or Redis drops idle uploads before they are expired`,
  );
}
const tenants = startup.tenants(config.SLUICE_TENANTS_FILE);
const redis = await startup.redis(config);
const s3 = new S3Clients();
const backbone = await startup.backbone(config, registry);

const app = buildApp({
  logger,
  registry,
  backbone,
  redis,
  namespace: config.SLUICE_REDIS_NAMESPACE,
  tenants,
  objects: objectStoresOf(s3),
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

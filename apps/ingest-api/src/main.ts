import { APPS, commonAppEnv, env, parseEnvOrExit } from '@sluice/config';
import { createMetricsRegistry, httpComponent } from '@sluice/http';
import { createLogger } from '@sluice/logging';
import { runComponents } from '@sluice/runtime';
import { buildApp } from './app.ts';
import { grpcComponent } from './grpc-component.ts';

const config = parseEnvOrExit(
  'ingest-api',
  {
    ...commonAppEnv('ingest-api'),
    SLUICE_INGEST_HOST: env.string('127.0.0.1'),
    SLUICE_INGEST_PORT: env.port(APPS['ingest-api'].grpcPort),
  },
  process.env,
);
const logger = createLogger({ service: 'ingest-api', level: config.SLUICE_LOG_LEVEL });
const app = buildApp({ logger, registry: createMetricsRegistry('ingest-api') });

await runComponents(
  [
    httpComponent(app.http, { host: config.SLUICE_HTTP_HOST, port: config.SLUICE_INGEST_HTTP_PORT }),
    grpcComponent(app.grpc, { host: config.SLUICE_INGEST_HOST, port: config.SLUICE_INGEST_PORT }),
  ],
  { logger },
);

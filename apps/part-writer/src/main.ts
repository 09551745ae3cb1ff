import { commonAppEnv, parseEnvOrExit } from '@sluice/config';
import { createMetricsRegistry, httpComponent } from '@sluice/http';
import { createLogger } from '@sluice/logging';
import { runComponents } from '@sluice/runtime';
import { buildApp } from './app.ts';

const config = parseEnvOrExit('part-writer', commonAppEnv('part-writer'), process.env);
const logger = createLogger({ service: 'part-writer', level: config.SLUICE_LOG_LEVEL });
const app = buildApp({ logger, registry: createMetricsRegistry('part-writer') });

await runComponents(
  [httpComponent(app.http, { host: config.SLUICE_HTTP_HOST, port: config.SLUICE_PART_WRITER_HTTP_PORT })],
  {
    logger,
  },
);

import { commonAppEnv, parseEnvOrExit } from '@sluice/config';
import { createMetricsRegistry, httpComponent } from '@sluice/http';
import { createLogger } from '@sluice/logging';
import { runComponents } from '@sluice/runtime';
import { buildApp } from './app.ts';

const config = parseEnvOrExit('assembler', commonAppEnv('assembler'), process.env);
const logger = createLogger({ service: 'assembler', level: config.SLUICE_LOG_LEVEL });
const app = buildApp({ logger, registry: createMetricsRegistry('assembler') });

await runComponents(
  [httpComponent(app.http, { host: config.SLUICE_HTTP_HOST, port: config.SLUICE_ASSEMBLER_HTTP_PORT })],
  {
    logger,
  },
);

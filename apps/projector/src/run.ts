/**
 * `projector [run]`: projects the three topics into the projection's database (MySQL, MariaDB
 * or PostgreSQL, by the URL's scheme) and answers the status API.
 * `projector rebuild [--into DB] [--keep] [--max-differences N]`: replays the topics into a
 * fresh database and compares it with the live one (see rebuild.ts); exits 0 when they are
 * identical, 1 when they differ, 2 when the rebuild could not run.
 */
import { parseArgs } from 'node:util';
import { Startup } from '@sluice/startup';
import { parseEnvOrExit, projectionDatabaseUrl } from '@sluice/config';
import { createMetricsRegistry, httpComponent } from '@sluice/http';
import { createLogger } from '@sluice/logging';
import { openProjectionDatabase } from '@sluice/projection';
import { mysqlSsl, runComponents } from '@sluice/startup';
import { buildApp } from './app.ts';
import { projectorEnv } from './config.ts';
import { buildProjector } from './projector.ts';
import { runRebuild, withoutCredentials } from './rebuild.ts';

const [command = 'run', ...args] = process.argv.slice(2);
if (command !== 'run' && command !== 'rebuild') {
  process.stderr.write(`projector: unknown command ${command}; use "run" (the default) or "rebuild"\n`);
  process.exit(2);
}
const config = parseEnvOrExit('projector', projectorEnv, process.env);
const logger = createLogger({ service: 'projector', level: config.SLUICE_LOG_LEVEL });
const registry = createMetricsRegistry('projector');
const databaseUrl = projectionDatabaseUrl(config);
const database = withoutCredentials(databaseUrl);

const startup = new Startup('projector', logger);
const fatal = (message: string): never => startup.fatal(message);

let mysqlTls: ReturnType<typeof mysqlSsl> = {};
try {
  mysqlTls = mysqlSsl(config);
} catch (err) {
  fatal((err as Error).message);
}
// The TLS files (SLUICE_MYSQL_TLS_*) serve either database.
const db = openProjectionDatabase(databaseUrl, {
  mysql: { ...mysqlTls, connectionLimit: config.SLUICE_PROJECTOR_DB_POOL_SIZE, enableKeepAlive: true },
  postgres: { ...mysqlTls, max: config.SLUICE_PROJECTOR_DB_POOL_SIZE, keepAlive: true },
});
const backbone = await startup.backbone(
  config,
  registry,
  command === 'rebuild' ? 'projector-rebuild' : 'projector',
);
const batch = {
  maxRecords: config.SLUICE_PROJECTOR_BATCH_SIZE,
  maxWaitMs: config.SLUICE_PROJECTOR_BATCH_WAIT,
};

if (command === 'rebuild') {
  const options = parseArgs({
    args,
    options: {
      into: { type: 'string' },
      keep: { type: 'boolean', default: false },
      'max-differences': { type: 'string', default: '50' },
    },
  }).values;
  const code = await runRebuild({
    live: db,
    url: databaseUrl,
    tls: mysqlTls,
    backbone,
    groupId: config.SLUICE_PROJECTOR_GROUP_ID,
    ...batch,
    ...(options.into === undefined ? {} : { into: options.into }),
    keep: options.keep,
    maxDifferences: Number(options['max-differences']),
    logger,
    out: (line) => process.stdout.write(`${line}\n`),
  });
  await backbone.close();
  await db.close();
  process.exit(code);
}

const migrated = await db
  .migrate()
  .catch((err: unknown) => fatal(`migrating ${database} failed: ${(err as Error).message}`));
if (migrated.applied.length > 0) logger.info({ applied: migrated.applied, database }, 'migrations applied');
if (migrated.unknown.length > 0) {
  logger.warn(
    { unknown: migrated.unknown },
    'the database has migrations this release does not know (a newer release ran)',
  );
}

const projector = buildProjector({
  backbone,
  store: db.store(config.SLUICE_PROJECTOR_GROUP_ID),
  groupId: config.SLUICE_PROJECTOR_GROUP_ID,
  ...batch,
  registry,
  logger,
  lagIntervalMs: config.SLUICE_PROJECTOR_LAG_INTERVAL,
});
const app = buildApp({
  logger,
  registry,
  queries: db.queries(),
  readiness: [
    { name: 'database', probe: () => db.ping() },
    {
      name: 'projection',
      probe: () =>
        projector.running
          ? Promise.resolve()
          : Promise.reject(new Error('the projection loop is not running')),
    },
  ],
});

await runComponents(
  [
    // Closed in reverse: HTTP stops answering, the batch in hand commits, then Kafka and the database go.
    { name: 'database', start: () => Promise.resolve(), close: () => db.close() },
    { name: 'events', start: () => Promise.resolve(), close: () => backbone.close() },
    projector,
    httpComponent(app.http, { host: config.SLUICE_HTTP_HOST, port: config.SLUICE_PROJECTOR_HTTP_PORT }),
  ],
  { logger },
);

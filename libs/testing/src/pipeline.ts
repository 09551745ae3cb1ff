/**
 * The whole pipeline for end-to-end tests: the four apps started as processes from
 * their `main.ts`, on free ports, with a tenants file, a Redis namespace, a topic
 * prefix, consumer groups and a database of their own, all removed after the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APPS, type AppName } from '@sluice/config';
import { eventTopicPrefix } from './kafka.ts';
import { freePort } from './ports.ts';
import { stopProcess, waitForReady } from './processes.ts';
import { createDatabase } from './mysql.ts';
import { uniqueName, type AfterHook } from './names.ts';
import { s3Settings } from './endpoints.ts';

const root = join(import.meta.dirname, '..', '..', '..');

/** Options for {@link startPipeline}. */
export interface PipelineOptions {
  /** Part size of the test drive. @default 5 MiB (S3's minimum, so small files still span parts) */
  readonly partSize?: number;
  /** Partitions of each topic. @default 2 */
  readonly partitions?: number;
  /** Extra variables for one app, e.g. a crash hook. */
  readonly env?: Partial<Record<AppName, Record<string, string>>>;
  /** Extra variables for every app (an app's own `env` wins). */
  readonly commonEnv?: Record<string, string>;
  /** The drive's S3 endpoint, e.g. a fault proxy in front of the local S3. @default the local S3 */
  readonly s3Endpoint?: string;
  /** How an app reaches the pipeline's database, e.g. through a fault proxy. @default its URL */
  readonly databaseUrlFor?: (app: AppName, url: string) => string;
  /** Where the apps' stdout and stderr go (appended). @default this process's own */
  readonly logFile?: string;
}

/** A running pipeline. */
export interface Pipeline {
  /** ingest-api's gRPC address, `127.0.0.1:<port>`. */
  readonly grpcAddress: string;
  readonly apiKey: string;
  /** The tenant's drive name. */
  readonly drive: string;
  readonly tenant: string;
  readonly topicPrefix: string;
  readonly redisNamespace: string;
  readonly mysqlUrl: string;
  readonly httpPorts: Readonly<Record<AppName, number>>;
  readonly processes: ReadonlyMap<AppName, ChildProcess>;
  /** Starts an app again (after a test killed it), with the same settings. */
  restart(app: AppName): Promise<void>;
}

/** Starts ingest-api, part-writer, assembler and projector and waits until each is ready. */
export async function startPipeline(t: AfterHook, options: PipelineOptions = {}): Promise<Pipeline> {
  const id = uniqueName('e2e');
  const topicPrefix = eventTopicPrefix(t, id);
  const s3 = s3Settings();
  const apiKey = randomUUID();
  const dir = mkdtempSync(join(tmpdir(), 'sluice-e2e-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tenantsFile = join(dir, 'tenants.json');
  writeFileSync(
    tenantsFile,
    JSON.stringify({
      tenants: [
        {
          name: 'e2e',
          apiKeys: [{ key: apiKey }],
          drives: [
            {
              name: 'e2e',
              endpoint: options.s3Endpoint ?? s3.endpoint,
              region: s3.region,
              bucket: s3.bucket,
              keyTemplate: `${id}/{node_id}/{upload_id}`,
              partSizePolicy: { kind: 'fixed', partSize: options.partSize ?? 5 * 1024 * 1024 },
              credentials: {
                accessKeyIdEnv: 'SLUICE_S3_ACCESS_KEY',
                secretAccessKeyEnv: 'SLUICE_S3_SECRET_KEY',
              },
            },
          ],
        },
      ],
    }),
  );
  const db = await createDatabase(t, { prefix: 'e2e' });
  const apps = Object.keys(APPS) as AppName[];
  const httpPorts = {} as Record<AppName, number>;
  for (const app of apps) httpPorts[app] = await freePort();
  const grpcPort = await freePort();
  const common: Record<string, string> = {
    SLUICE_LOG_LEVEL: process.env['SLUICE_E2E_LOG_LEVEL'] ?? 'warn',
    SLUICE_TENANTS_FILE: tenantsFile,
    SLUICE_REDIS_NAMESPACE: id,
    SLUICE_TOPIC_PREFIX: topicPrefix,
    SLUICE_KAFKA_PARTITIONS: String(options.partitions ?? 2),
    SLUICE_MYSQL_URL: db.url,
    SLUICE_S3_ACCESS_KEY: s3.accessKeyId,
    SLUICE_S3_SECRET_KEY: s3.secretAccessKey,
    SLUICE_PART_WRITER_GROUP_ID: `${id}-part-writer`,
    SLUICE_PROJECTOR_GROUP_ID: `${id}-projector`,
    SLUICE_INGEST_PORT: String(grpcPort),
    ...options.commonEnv,
  };
  const log = options.logFile === undefined ? undefined : openSync(options.logFile, 'a');
  if (log !== undefined) t.after(() => closeSync(log));
  const processes = new Map<AppName, ChildProcess>();
  const start = async (app: AppName): Promise<void> => {
    const child = spawn(process.execPath, [join(root, 'apps', app, 'src', 'main.ts')], {
      env: {
        ...process.env,
        ...common,
        [APPS[app].httpPortEnv]: String(httpPorts[app]),
        SLUICE_MYSQL_URL: options.databaseUrlFor?.(app, db.url) ?? db.url,
        ...options.env?.[app],
      },
      stdio: ['ignore', log ?? 'inherit', log ?? 'inherit'],
    });
    processes.set(app, child);
    await waitForReady(`http://127.0.0.1:${httpPorts[app]}/readyz`, { child, name: app });
  };
  t.after(async () => {
    await Promise.all([...processes.values()].map((child) => stopProcess(child)));
  });
  // ingest-api first: it provisions the topics and registers the schemas the others use.
  await start('ingest-api');
  await Promise.all(apps.filter((a) => a !== 'ingest-api').map((a) => start(a)));
  return {
    grpcAddress: `127.0.0.1:${grpcPort}`,
    apiKey,
    drive: 'e2e',
    tenant: 'e2e',
    topicPrefix,
    redisNamespace: id,
    mysqlUrl: db.url,
    httpPorts,
    processes,
    restart: start,
  };
}

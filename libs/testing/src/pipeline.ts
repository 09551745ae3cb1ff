/**
 * The whole pipeline for end-to-end tests: the four apps started as processes from
 * their `main.ts`, on free ports, with a tenants file, a Redis namespace, a topic
 * prefix, consumer groups, a key prefix in the S3 bucket and a database of their own, all
 * removed after the test.
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
import { createPostgresDatabase } from './postgres.ts';
import { uniqueName, type AfterHook } from './names.ts';
import { s3Settings } from './endpoints.ts';
import { emptyBucket, s3Client } from './s3.ts';

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
  /** The projection's database: a MariaDB or a PostgreSQL database of the pipeline's own. @default 'mysql' */
  readonly database?: 'mysql' | 'postgres';
  /**
   * Instances of each app. The consumers share their groups; each ingest-api has a gRPC port of
   * its own (`grpcAddresses`). @default 1
   */
  readonly instances?: number;
}

/** A running pipeline. */
export interface Pipeline {
  /** ingest-api's gRPC address, `127.0.0.1:<port>` (the first instance's). */
  readonly grpcAddress: string;
  /** Every ingest-api instance's gRPC address, by instance. */
  readonly grpcAddresses: readonly string[];
  readonly apiKey: string;
  /** The tenant's drive name. */
  readonly drive: string;
  readonly tenant: string;
  readonly topicPrefix: string;
  readonly redisNamespace: string;
  /** The projection database's URL (`mysql://` or `postgres://`, as `database` chose). */
  readonly mysqlUrl: string;
  /** The first instance's HTTP port of each app. */
  readonly httpPorts: Readonly<Record<AppName, number>>;
  /** The first instance's process of each app. */
  readonly processes: ReadonlyMap<AppName, ChildProcess>;
  /** Every instance of an app: its process and HTTP port, by instance. */
  instancesOf(app: AppName): readonly { readonly process: ChildProcess; readonly httpPort: number }[];
  /** Starts an instance of an app again (after a test killed it), with the same settings. @default instance 0 */
  restart(app: AppName, instance?: number): Promise<void>;
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
  const db =
    options.database === 'postgres'
      ? await createPostgresDatabase(t, { prefix: 'e2e' })
      : await createDatabase(t, { prefix: 'e2e' });
  const apps = Object.keys(APPS) as AppName[];
  const count = options.instances ?? 1;
  const ports = {} as Record<AppName, number[]>;
  for (const app of apps) ports[app] = await Promise.all(Array.from({ length: count }, () => freePort()));
  const grpcPorts = await Promise.all(Array.from({ length: count }, () => freePort()));
  const common: Record<string, string> = {
    SLUICE_LOG_LEVEL: process.env['SLUICE_E2E_LOG_LEVEL'] ?? 'warn',
    SLUICE_TENANTS_FILE: tenantsFile,
    SLUICE_REDIS_NAMESPACE: id,
    SLUICE_TOPIC_PREFIX: topicPrefix,
    SLUICE_KAFKA_PARTITIONS: String(options.partitions ?? 2),
    SLUICE_DATABASE_URL: db.url,
    SLUICE_S3_ACCESS_KEY: s3.accessKeyId,
    SLUICE_S3_SECRET_KEY: s3.secretAccessKey,
    SLUICE_PART_WRITER_GROUP_ID: `${id}-part-writer`,
    SLUICE_PROJECTOR_GROUP_ID: `${id}-projector`,
    ...options.commonEnv,
  };
  const log = options.logFile === undefined ? undefined : openSync(options.logFile, 'a');
  if (log !== undefined) t.after(() => closeSync(log));
  const running = new Map<AppName, ChildProcess[]>(apps.map((app) => [app, []]));
  /** The first instance of each app. */
  const processes = new Map<AppName, ChildProcess>();
  const httpPort = (app: AppName, instance: number): number => ports[app][instance] as number;
  const start = async (app: AppName, instance = 0): Promise<void> => {
    if (!(instance >= 0 && instance < count)) throw new RangeError(`${app} has no instance ${instance}`);
    const child = spawn(process.execPath, [join(root, 'apps', app, 'src', 'main.ts')], {
      env: {
        ...process.env,
        ...common,
        [APPS[app].httpPortEnv]: String(httpPort(app, instance)),
        SLUICE_INGEST_PORT: String(grpcPorts[instance]),
        SLUICE_DATABASE_URL: options.databaseUrlFor?.(app, db.url) ?? db.url,
        ...options.env?.[app],
      },
      stdio: ['ignore', log ?? 'inherit', log ?? 'inherit'],
    });
    (running.get(app) as ChildProcess[])[instance] = child;
    if (instance === 0) processes.set(app, child);
    const name = count === 1 ? app : `${app}#${instance}`;
    await waitForReady(`http://127.0.0.1:${httpPort(app, instance)}/readyz`, { child, name });
  };
  t.after(async () => {
    await Promise.all([...running.values()].flat().map((child) => stopProcess(child)));
    // Every object the drive wrote is under `${id}/`, and goes with the pipeline: left there,
    // the runs of a few days filled a local disk.
    const client = s3Client();
    try {
      await emptyBucket(client, s3.bucket, `${id}/`);
    } finally {
      client.destroy();
    }
  });
  const from = (app: AppName, first: number): Promise<void>[] =>
    Array.from({ length: count - first }, (_, i) => start(app, first + i));
  // ingest-api first: it provisions the topics and registers the schemas the others use.
  await start('ingest-api');
  await Promise.all([
    ...from('ingest-api', 1),
    ...apps.filter((a) => a !== 'ingest-api').flatMap((a) => from(a, 0)),
  ]);
  const httpPorts = Object.fromEntries(apps.map((app) => [app, httpPort(app, 0)])) as Record<AppName, number>;
  return {
    grpcAddress: `127.0.0.1:${grpcPorts[0]}`,
    grpcAddresses: grpcPorts.map((port) => `127.0.0.1:${port}`),
    apiKey,
    drive: 'e2e',
    tenant: 'e2e',
    topicPrefix,
    redisNamespace: id,
    mysqlUrl: db.url,
    httpPorts,
    processes,
    instancesOf: (app) =>
      (running.get(app) ?? []).map((child, instance) => ({
        process: child,
        httpPort: httpPort(app, instance),
      })),
    restart: start,
  };
}

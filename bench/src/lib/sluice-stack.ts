/**
 * The four Sluice apps started as child processes for one benchmark run, each with its own
 * event loop, on a fresh Redis namespace, Kafka topic prefix and MySQL database, writing into
 * the shared S3 bucket. `close()` stops them and removes everything the run created.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { EVENT_TOPICS } from '@sluice/schema-registry';
import { freePort, kafkaAdmin, s3Settings, serviceUrl, stopProcess, waitForReady } from '@sluice/testing';
import mysql from 'mysql2/promise';
import { node } from './processes.ts';

/** One running app: its process, for CPU and memory readings. */
export interface AppProcess {
  readonly name: string;
  readonly child: ChildProcess;
}

/** The running stack and what a client needs to reach it. */
export interface SluiceStack {
  readonly grpcAddress: string;
  readonly apiKey: string;
  readonly drive: string;
  readonly namespace: string;
  readonly topicPrefix: string;
  readonly tenantsFile: string;
  readonly apps: readonly AppProcess[];
  close(): Promise<void>;
}

const ROOT = join(import.meta.dirname, '..', '..', '..');

/** Part sizes (MiB) of the drives beside `bench`, so a cell can cut parts as lib-storage does. */
export const BENCH_PART_MIB = [5, 8, 16] as const;

/** The drive whose parts are `partMiB` MiB (one of {@link BENCH_PART_MIB}). */
export function benchDrive(partMiB: number): string {
  if (!(BENCH_PART_MIB as readonly number[]).includes(partMiB)) {
    throw new Error(`no bench drive has ${partMiB} MiB parts; add it to BENCH_PART_MIB`);
  }
  return `bench-${partMiB}mib`;
}

/**
 * Writes a tenants file with one tenant on the shared bucket, reached at `endpoint` (a shaped
 * link in front of S3, for the `wan` profile): the drive `bench` with the default part size, and
 * one drive of fixed parts for each of {@link BENCH_PART_MIB}.
 */
export function writeTenantsFile(dir: string, apiKey: string, endpoint = s3Settings().endpoint): string {
  const s3 = s3Settings();
  const file = join(dir, 'tenants.json');
  const drive = {
    endpoint,
    bucket: s3.bucket,
    region: s3.region,
    credentials: { accessKeyIdEnv: 'SLUICE_S3_ACCESS_KEY', secretAccessKeyEnv: 'SLUICE_S3_SECRET_KEY' },
  };
  writeFileSync(
    file,
    JSON.stringify({
      tenants: [
        {
          name: 'bench',
          apiKeys: [{ key: apiKey }],
          drives: [
            { name: 'bench', ...drive },
            ...BENCH_PART_MIB.map((n) => ({
              name: benchDrive(n),
              ...drive,
              partSizePolicy: { kind: 'fixed', partSize: `${n}MiB` },
            })),
          ],
        },
      ],
    }),
  );
  return file;
}

function withDatabase(base: URL, database: string): string {
  const url = new URL(base.href);
  url.pathname = `/${database}`;
  return url.href;
}

/**
 * Starts ingest-api, part-writer, assembler and projector and waits until each answers
 * `/readyz`. `apps` narrows which ones start (the ingest-only ceiling needs ingest alone).
 */
export async function startSluice(
  options: {
    readonly apps?: readonly string[];
    readonly partitions?: number;
    /** Where the drive reaches S3. @default the local S3 */
    readonly s3Endpoint?: string;
    /** Extra variables for every app. */
    readonly env?: Readonly<Record<string, string>>;
  } = {},
): Promise<SluiceStack> {
  const wanted = options.apps ?? ['ingest-api', 'part-writer', 'assembler', 'projector'];
  const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
  const apiKey = randomUUID();
  const tenantsFile = writeTenantsFile(dir, apiKey, options.s3Endpoint);
  const id = randomUUID().replaceAll('-', '').slice(0, 10);
  const namespace = `bench-${id}`;
  const topicPrefix = `${namespace}.`;
  const database = `bench_${id}`;
  const base = new URL(serviceUrl('mysql'));
  const admin = await mysql.createConnection({ uri: withDatabase(base, '') });
  await admin.query(`CREATE DATABASE \`${database}\``).finally(() => admin.end());
  const s3 = s3Settings();
  const common = {
    SLUICE_LOG_LEVEL: 'warn',
    SLUICE_TENANTS_FILE: tenantsFile,
    SLUICE_REDIS_NAMESPACE: namespace,
    SLUICE_TOPIC_PREFIX: topicPrefix,
    SLUICE_KAFKA_PARTITIONS: String(options.partitions ?? 3),
    SLUICE_MYSQL_URL: withDatabase(base, database),
    SLUICE_S3_ACCESS_KEY: s3.accessKeyId,
    SLUICE_S3_SECRET_KEY: s3.secretAccessKey,
    ...options.env,
  };
  const grpcPort = await freePort();
  const httpEnv: Record<string, string> = {
    'ingest-api': 'SLUICE_INGEST_HTTP_PORT',
    'part-writer': 'SLUICE_PART_WRITER_HTTP_PORT',
    assembler: 'SLUICE_ASSEMBLER_HTTP_PORT',
    projector: 'SLUICE_PROJECTOR_HTTP_PORT',
  };
  const apps: AppProcess[] = [];
  const ready: Promise<void>[] = [];
  // ingest-api provisions the topics and registers the schemas first; the consumers follow.
  for (const name of wanted) {
    const httpPort = await freePort();
    const env: Record<string, string> = { ...common, [httpEnv[name] ?? '']: String(httpPort) };
    if (name === 'ingest-api') env.SLUICE_INGEST_PORT = String(grpcPort);
    const child = node(join(ROOT, 'apps', name, 'src', 'main.ts'), [], env);
    child.stdout?.resume();
    apps.push({ name, child });
    const up = waitForReady(`http://127.0.0.1:${httpPort}/readyz`, { timeoutMs: 90_000, child, name });
    if (name === 'ingest-api') await up;
    else ready.push(up);
  }
  const close = async (): Promise<void> => {
    await Promise.all(apps.map((a) => stopProcess(a.child)));
    const kafka = kafkaAdmin();
    await kafka
      .deleteTopics({ topics: EVENT_TOPICS.flatMap((t) => [`${topicPrefix}${t}`, `${topicPrefix}${t}.dlq`]) })
      .catch(() => undefined)
      .finally(() => kafka.close());
    const cleanup = await mysql.createConnection({ uri: withDatabase(base, '') });
    await cleanup.query(`DROP DATABASE IF EXISTS \`${database}\``).finally(() => cleanup.end());
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await Promise.all(ready);
  } catch (err) {
    await close();
    throw err;
  }
  return {
    grpcAddress: `127.0.0.1:${grpcPort}`,
    apiKey,
    drive: 'bench',
    namespace,
    topicPrefix,
    tenantsFile,
    apps,
    close,
  };
}

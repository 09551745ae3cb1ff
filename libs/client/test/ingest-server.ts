/**
 * A real ingest-api for the client's tests: `apps/ingest-api/src/main.ts` run as a child
 * process over the real Redis, Kafka and Apicurio, with its own tenants file, Redis namespace,
 * topic prefix and ports. The client talks to it exactly as it would in production; the test
 * reads what got staged through RedisStaging with the same namespace.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { fileURLToPath } from 'node:url';
import { RedisStaging } from '@sluice/staging';
import {
  createRedisPrefix,
  deleteEventTopics,
  freePort,
  kafkaBrokers,
  requireServices,
  s3Settings,
  serviceUrl,
  stopProcess,
  uniqueName,
  type AfterHook,
} from '@sluice/testing';
import { SluiceClient } from '../src/index.ts';

const INGEST_MAIN = fileURLToPath(new URL('../../../apps/ingest-api/src/main.ts', import.meta.url));

export const KEYS = { acme: 'acme-key', globex: 'globex-key' } as const;

export interface IngestServer {
  /** `host:port` of its gRPC endpoint. */
  readonly server: string;
  /** Prefix of its topics. */
  readonly topicPrefix: string;
  /** The variables every app of this pipeline shares: services, topics, namespace, tenants. */
  readonly appEnv: Readonly<Record<string, string>>;
  /** The Redis staging it writes to (same namespace). */
  readonly staging: RedisStaging;
  /** A client for tenant acme, closed after the test. */
  readonly client: SluiceClient;
  /** One counter or gauge from its /metrics, summed over the label values that match. */
  readonly metric: (name: string, labels?: Readonly<Record<string, string>>) => Promise<number>;
  /** Environment that points the CLI at this server as tenant acme, with its own resume directory. */
  readonly cliEnv: Readonly<Record<string, string>>;
}

function tenantsFile(bucket: string): string {
  const s = s3Settings();
  const drive = (name: string) => ({
    name,
    endpoint: s.endpoint,
    region: s.region,
    bucket,
    keyTemplate: '{tenant}/{drive}/{node_id}/{upload_id}',
    partSizePolicy: { kind: 'fixed', partSize: 5 * 1024 * 1024 },
    credentials: { accessKeyIdEnv: 'SLUICE_S3_ACCESS_KEY', secretAccessKeyEnv: 'SLUICE_S3_SECRET_KEY' },
  });
  return JSON.stringify({
    tenants: [
      { name: 'acme', apiKeys: [{ key: KEYS.acme }], drives: [drive('docs')] },
      { name: 'globex', apiKeys: [{ key: KEYS.globex }], drives: [drive('vault')] },
    ],
  });
}

/**
 * One app of the repository run as a child process. Create it before anything the app uses,
 * so its stop (registered here) runs before that is cleaned up.
 */
function appProcess(t: AfterHook, name: string) {
  const running: { child?: ChildProcess } = {};
  t.after(() => (running.child ? stopProcess(running.child, 5000) : undefined));
  return {
    /** Starts it; the promise rejects (with its last words) if it exits. */
    start(main: string, env: Readonly<Record<string, string>>): Promise<never> {
      const child = spawn(process.execPath, [main], {
        env: { ...process.env, SLUICE_LOG_LEVEL: 'warn', ...env },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      running.child = child;
      let stderr = '';
      child.stderr?.on('data', (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4000);
      });
      const exited = new Promise<never>((_, reject) =>
        child.once('exit', (code, signal) =>
          reject(new Error(`${name} exited (${code ?? signal}): ${stderr}`)),
        ),
      );
      exited.catch(() => undefined);
      return exited;
    },
  };
}

/** The services' addresses, as every app reads them. */
function servicesEnv(topicPrefix: string): Record<string, string> {
  return {
    SLUICE_REDIS_URL: serviceUrl('redis'),
    SLUICE_KAFKA_BROKERS: kafkaBrokers().join(','),
    SLUICE_REGISTRY_URL: serviceUrl('apicurio'),
    SLUICE_MYSQL_URL: serviceUrl('mysql'),
    SLUICE_TOPIC_PREFIX: topicPrefix,
    SLUICE_KAFKA_PARTITIONS: '2',
  };
}

/**
 * Starts ingest-api; `env` overrides its variables (limits, pushback, database). Its drives
 * point at `bucket` (default: the local S3 server's bucket; nothing is written there unless a
 * part-writer runs).
 */
export async function startIngest(
  t: AfterHook,
  env: Readonly<Record<string, string>> = {},
  options: {
    readonly bucket?: string;
    /** Topics to use; the caller deletes them. @default new ones, deleted after the test */
    readonly topicPrefix?: string;
  } = {},
): Promise<IngestServer> {
  await requireServices(['redis', 'kafka', 'apicurio']);
  const app = appProcess(t, 'ingest-api');
  const { redis, prefix } = createRedisPrefix(t);
  const namespace = prefix.slice(0, -1);
  const topicPrefix = options.topicPrefix ?? `${uniqueName('client')}.`;
  if (options.topicPrefix === undefined) t.after(() => deleteEventTopics(topicPrefix));
  const dir = await mkdtemp(join(tmpdir(), 'sluice-client-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const tenants = join(dir, 'tenants.json');
  await writeFile(tenants, tenantsFile(options.bucket ?? s3Settings().bucket));
  const [grpcPort, httpPort] = [await freePort(), await freePort()];
  const s3 = s3Settings();
  const appEnv = {
    ...servicesEnv(topicPrefix),
    SLUICE_TENANTS_FILE: tenants,
    SLUICE_S3_ACCESS_KEY: s3.accessKeyId,
    SLUICE_S3_SECRET_KEY: s3.secretAccessKey,
    SLUICE_REDIS_NAMESPACE: namespace,
  };
  const exited = app.start(INGEST_MAIN, {
    ...appEnv,
    SLUICE_INGEST_HOST: '127.0.0.1',
    SLUICE_INGEST_PORT: String(grpcPort),
    SLUICE_INGEST_HTTP_PORT: String(httpPort),
    ...env,
  });
  const server = `127.0.0.1:${grpcPort}`;
  const client = new SluiceClient({ server, apiKey: KEYS.acme, connectTimeoutMs: 60_000 });
  t.after(() => client.close());
  await Promise.race([client.connect(), exited]);

  const cache = join(dir, 'cache');
  return {
    server,
    topicPrefix,
    appEnv,
    staging: new RedisStaging({ redis, namespace }),
    client,
    metric: async (name, labels = {}) => {
      const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      let sum = 0;
      for (const line of text.split('\n')) {
        const m = /^([a-z_]+)(\{[^}]*\})? ([0-9.e+-]+)$/.exec(line);
        if (!m || m[1] !== name) continue;
        const set = m[2] ?? '';
        if (Object.entries(labels).every(([k, v]) => set.includes(`${k}="${v}"`))) sum += Number(m[3]);
      }
      return sum;
    },
    cliEnv: { SLUICE_SERVER: server, SLUICE_API_KEY: KEYS.acme, SLUICE_CACHE: cache },
  };
}

const APP_MAIN = {
  projector: fileURLToPath(new URL('../../../apps/projector/src/main.ts', import.meta.url)),
  'part-writer': fileURLToPath(new URL('../../../apps/part-writer/src/main.ts', import.meta.url)),
  assembler: fileURLToPath(new URL('../../../apps/assembler/src/main.ts', import.meta.url)),
} as const;

/**
 * Starts another app of the pipeline on an ingest's topics, Redis namespace and tenants, with
 * its own consumer group and HTTP port. Resolves once it runs (has not exited within a moment);
 * callers wait for its effect.
 */
export async function startApp(
  t: AfterHook,
  name: keyof typeof APP_MAIN,
  ingest: IngestServer,
  env: Readonly<Record<string, string>> = {},
): Promise<void> {
  const app = appProcess(t, name);
  const portEnv = {
    projector: 'SLUICE_PROJECTOR',
    'part-writer': 'SLUICE_PART_WRITER',
    assembler: 'SLUICE_ASSEMBLER',
  }[name];
  const exited = app.start(APP_MAIN[name], {
    ...ingest.appEnv,
    [`${portEnv}_HTTP_PORT`]: String(await freePort()),
    [`${portEnv}_GROUP_ID`]: uniqueName(name),
    ...env,
  });
  await Promise.race([exited, new Promise((r) => setTimeout(r, 500))]);
}

/**
 * Starts the projector writing to `mysqlUrl` (which it migrates), so that ListUploads and the
 * status of finished uploads have a projection to answer from. Resolves once ingest-api can
 * list from it.
 */
export async function startProjector(
  t: AfterHook,
  ingest: IngestServer,
  mysqlUrl: string,
  env: Readonly<Record<string, string>> = {},
): Promise<void> {
  await requireServices(['mysql']);
  await startApp(t, 'projector', ingest, {
    SLUICE_MYSQL_URL: mysqlUrl,
    SLUICE_PROJECTOR_BATCH_WAIT: '20ms',
    ...env,
  });
  const deadline = Date.now() + 60_000;
  while (
    !(await ingest.client.list({ pageSize: 1 }).then(
      () => true,
      () => false,
    ))
  ) {
    if (Date.now() > deadline) throw new Error('the projector did not migrate its database within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The bytes an upload has staged, chunk after chunk (what the part-writer would store). */
export async function stagedBytes(staging: RedisStaging, uploadId: string): Promise<Buffer> {
  const chunks = (await staging.listChunks(uploadId)).sort((a, b) => a.chunk - b.chunk);
  const pieces: Buffer[] = [];
  for (const [i, c] of chunks.entries()) {
    if (c.chunk !== i) throw new Error(`upload ${uploadId} lacks chunk ${i}`);
    pieces.push(...(await staging.readRange(staging.segmentsOf(uploadId, c), 0, c.size)));
  }
  return Buffer.concat(pieces);
}

/**
 * Cleanup for fixtures a whole suite shares: factories given `hooks` (in `before`) register
 * their cleanup there, and `after(run)` runs it in order when the suite ends.
 */
export function suiteCleanup(): { readonly hooks: AfterHook; readonly run: () => Promise<void> } {
  const steps: Array<() => unknown> = [];
  return {
    hooks: {
      after: (fn) => {
        if (fn) steps.push(() => (fn as () => unknown)());
      },
    },
    run: async () => {
      for (const step of steps.splice(0)) await step();
    },
  };
}

/**
 * `npm start`: the services up, the four apps running, a sample file uploaded with the
 * `sluice` CLI and shown landing in S3 (read back and its SHA-256 checked), then running
 * until Ctrl-C — when it stops the apps, and the services it started itself.
 *
 * Local settings live in $SLUICE_CACHE/local: a tenants file with one tenant (`local`),
 * its API key, and one drive (`local`) on the local S3 server; the apps' logs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { APPS, LOCAL_DEFAULTS, SERVICES, type AppName } from '@sluice/config';
import { jaegerOtlpUrl, stopProcess, waitForReady } from '@sluice/testing';
import { ensureUp, getStatus, infraPaths, serviceEnv, stopServices } from './index.ts';

const root = join(import.meta.dirname, '..', '..', '..');
const say = (line: string): void => void process.stdout.write(`${line}\n`);

const paths = infraPaths();
const localDir = join(paths.cache, 'local');
mkdirSync(join(localDir, 'logs'), { recursive: true });

const before = new Set((await getStatus()).filter((s) => s.healthy).map((s) => s.name));
say('sluice: starting services (the first run installs them; later runs take seconds)');
await ensureUp({ say });
const startedServices = Object.keys(SERVICES).filter((name) => !before.has(name as keyof typeof SERVICES));

// One local tenant with one drive on the local S3 server; the key persists across runs.
const keyFile = join(localDir, 'api-key');
if (!existsSync(keyFile))
  writeFileSync(keyFile, `${randomBytes(18).toString('base64url')}\n`, { mode: 0o600 });
const apiKey = readFileSync(keyFile, 'utf8').trim();
const tenantsFile = join(localDir, 'tenants.json');
const services = serviceEnv();
writeFileSync(
  tenantsFile,
  `${JSON.stringify(
    {
      tenants: [
        {
          name: 'local',
          apiKeys: [{ key: apiKey }],
          drives: [
            {
              name: 'local',
              endpoint: services['SLUICE_S3_ENDPOINT'],
              region: LOCAL_DEFAULTS.s3Region,
              bucket: LOCAL_DEFAULTS.s3Bucket,
              keyTemplate: '{tenant}/{drive}/{node_id}/{filename}',
              credentials: {
                accessKeyIdEnv: 'SLUICE_S3_ACCESS_KEY',
                secretAccessKeyEnv: 'SLUICE_S3_SECRET_KEY',
              },
            },
          ],
        },
      ],
    },
    null,
    2,
  )}\n`,
);

// With the local Jaeger up (`npm run infra -- up jaeger`), every app sends it its spans.
const tracing =
  !process.env['OTEL_EXPORTER_OTLP_ENDPOINT'] && (await getStatus({ services: ['jaeger'] }))[0]?.healthy
    ? { OTEL_EXPORTER_OTLP_ENDPOINT: jaegerOtlpUrl() }
    : {};
const env = { ...process.env, ...services, ...tracing, SLUICE_TENANTS_FILE: tenantsFile };
const apps = new Map<AppName, ChildProcess>();
/** The end of each app's standard error, shown when it stops on its own (a bad variable, say). */
const lastWords = new Map<AppName, string>();
for (const app of Object.keys(APPS) as AppName[]) {
  const log = createWriteStream(join(localDir, 'logs', `${app}.log`), { flags: 'a' });
  const child = spawn(process.execPath, [join(root, 'apps', app, 'src', 'main.ts')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  child.stderr?.on('data', (d: Buffer) =>
    lastWords.set(app, `${lastWords.get(app) ?? ''}${d.toString()}`.slice(-4000)),
  );
  apps.set(app, child);
}

let stopping = false;
async function stopAll(code: number): Promise<never> {
  if (stopping) process.exit(code);
  stopping = true;
  say('\nsluice: stopping the apps');
  await Promise.all([...apps.values()].map((child) => stopProcess(child, 15_000)));
  if (startedServices.length > 0) {
    say(`sluice: stopping the services this run started (${startedServices.join(', ')})`);
    await stopServices({ services: startedServices as (keyof typeof SERVICES)[] });
  }
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));
for (const [app, child] of apps) {
  child.on('exit', (code, signal) => {
    if (stopping) return;
    say(`sluice: ${app} exited (${signal ?? code}); see ${join(localDir, 'logs', `${app}.log`)}`);
    const words = lastWords.get(app)?.trim();
    if (words) say(words);
    void stopAll(1);
  });
}

// Every app answers /readyz before the sample goes in.
for (const app of Object.keys(APPS) as AppName[]) {
  const url = `http://127.0.0.1:${APPS[app].httpPort}/readyz`;
  await waitForReady(url, { timeoutMs: 90_000, intervalMs: 250, name: app }).catch(async (err: unknown) => {
    say(`sluice: ${(err as Error).message}; see ${join(localDir, 'logs', `${app}.log`)}`);
    await stopAll(1);
  });
  say(`sluice: ${app} ready (http://127.0.0.1:${APPS[app].httpPort}/healthz)`);
}

// The sample: a 40 MiB file (three parts), uploaded with the CLI, waited for, read back.
const sample = join(localDir, 'sample.bin');
writeFileSync(sample, randomBytes(40 * 1024 * 1024));
const sha256 = createHash('sha256').update(readFileSync(sample)).digest('hex');
say(`sluice: uploading ${sample} (40 MiB) with the sluice CLI`);
const cli = spawn(
  process.execPath,
  [
    join(root, 'libs', 'client', 'bin', 'sluice.js'),
    'upload',
    sample,
    '--drive',
    'local',
    '--wait',
    '--json',
  ],
  {
    env: { ...env, SLUICE_SERVER: `127.0.0.1:${APPS['ingest-api'].grpcPort}`, SLUICE_API_KEY: apiKey },
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
let output = '';
cli.stdout?.on('data', (d: Buffer) => (output += d.toString()));
const [cliCode] = (await once(cli, 'exit')) as [number | null];
const line = output.trim().split('\n').at(-1) ?? '';
let landed: { bucket?: string; key?: string; size?: number; status?: string } = {};
try {
  landed = JSON.parse(line) as typeof landed;
} catch {
  // reported below
}
if (cliCode !== 0 || !landed.bucket || !landed.key) {
  say(`sluice: the sample upload did not complete (exit ${cliCode}): ${line}`);
  await stopAll(1);
}
const s3 = new S3Client({
  endpoint: services['SLUICE_S3_ENDPOINT'],
  region: LOCAL_DEFAULTS.s3Region,
  forcePathStyle: true,
  credentials: { accessKeyId: LOCAL_DEFAULTS.s3AccessKey, secretAccessKey: LOCAL_DEFAULTS.s3SecretKey },
});
const object = await s3.send(new GetObjectCommand({ Bucket: landed.bucket, Key: landed.key }));
const hash = createHash('sha256');
for await (const piece of object.Body as AsyncIterable<Uint8Array>) hash.update(piece);
const readBack = hash.digest('hex');
s3.destroy();
say(
  `sluice: landed s3://${landed.bucket}/${landed.key} (${object.ContentLength} bytes), ` +
    `sha256 ${readBack} ${readBack === sha256 ? 'matches the file' : `DOES NOT MATCH ${sha256}`}`,
);
if (readBack !== sha256) await stopAll(1);

say(
  [
    '',
    'Sluice is running.',
    `  gRPC          127.0.0.1:${APPS['ingest-api'].grpcPort}   (API key in ${keyFile})`,
    `  upload        SLUICE_API_KEY=$(cat ${keyFile}) npx sluice upload <file> --drive local --wait`,
    `  Prometheus    http://127.0.0.1:${SERVICES.prometheus.port}`,
    'OTEL_EXPORTER_OTLP_ENDPOINT' in tracing
      ? `  traces        http://127.0.0.1:${SERVICES.jaeger.port}/api/traces?service=ingest-api   (Jaeger)`
      : '  traces        off: run `npm run infra -- up jaeger` before `npm start` to see them in Jaeger',
    `  app logs      ${join(localDir, 'logs')}`,
    'Press Ctrl-C to stop.',
  ].join('\n'),
);

/**
 * Brings services up, reports on them and stops them.
 *
 * `ensureUp` handles each requested service on its own, all at once: a service that
 * already answers its health probe is left alone; one of ours that is still starting is
 * waited for; anything else is installed if needed, configured, started detached and
 * waited for until healthy. Failures are collected and reported together, each naming the
 * service and its log file. Only processes recorded in our pid files are ever stopped.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DEFAULT_SERVICE_NAMES,
  LOCAL_DEFAULTS,
  S3_ENV,
  SERVICE_NAMES,
  SERVICES,
  type ServiceName,
} from '@sluice/config';
import { checkService, serviceEndpoint, type ServiceHealth } from '@sluice/testing';
import { withFileLock } from './file-lock.ts';
import { createInstallers } from './installers.ts';
import { readLogTail } from './log-tail.ts';
import { infraPaths, type InfraPaths } from './paths.ts';
import { isRunning, runningProcess, spawnDetached, stopProcess, type PidRecord } from './processes.ts';
import type { ServiceContext, ServiceDriver } from './service-driver.ts';
import { assertPortsFree } from './service-ports.ts';
import { apicurio } from './services/apicurio.ts';
import { kafka } from './services/kafka.ts';
import { kafkaCluster } from './services/kafka-cluster.ts';
import { mariadb } from './services/mysql.ts';
import { postgres } from './services/postgres.ts';
import { jaeger } from './services/jaeger.ts';
import { prometheus } from './services/prometheus.ts';
import { redis } from './services/redis.ts';
import { redisCluster } from './services/redis-cluster.ts';
import { s3 } from './services/s3.ts';
import { s3Moto } from './services/s3-moto.ts';
import { s3proxy } from './services/s3proxy.ts';
import { toxiproxy } from './services/toxiproxy.ts';

/** The driver of every service in the catalogue. */
export const DRIVERS: Readonly<Record<ServiceName, ServiceDriver>> = Object.freeze({
  kafka,
  apicurio,
  s3,
  redis,
  mysql: mariadb,
  postgres,
  prometheus,
  jaeger,
  toxiproxy,
  'redis-cluster': redisCluster,
  'kafka-cluster': kafkaCluster,
  's3-moto': s3Moto,
  s3proxy,
});

/** Options shared by every operation. */
export interface InfraOptions {
  /** Services to act on, in catalogue order. @default all of them */
  readonly services?: readonly ServiceName[];
  /** Environment holding port overrides and SLUICE_CACHE. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Progress messages. @default a line on stderr */
  readonly say?: (message: string) => void;
}

/** Options of {@link ensureUp}. */
export interface UpOptions extends InfraOptions {
  /** Replaces every service's own start timeout (installs are not counted). */
  readonly timeoutMs?: number;
}

/** One service as `status` reports it. */
export interface ServiceState extends ServiceHealth {
  /** Pid of the process `up` started, while it runs. */
  readonly pid?: number;
  readonly logFile: string;
}

/**
 * Makes sure the requested services (by default every one but the optional ones) run and are
 * healthy, installing and starting what is missing. Resolves with their state; rejects with one error naming every service that
 * failed and its log file.
 */
export async function ensureUp(options: UpOptions = {}): Promise<ServiceState[]> {
  const { names, env, say, paths } = resolve({
    ...options,
    services: options.services ?? DEFAULT_SERVICE_NAMES,
  });
  const aptNeeded = [...new Set(names.flatMap((name) => DRIVERS[name].aptPackages))];
  const installers = createInstallers(paths, aptNeeded, say);
  // Services start at once, except that one waits for the services it `needs`.
  const starting = new Map<ServiceName, Promise<ServiceState>>();
  for (const name of names) {
    const needed = (DRIVERS[name].needs ?? []).map((dep) => neededUp(name, dep, starting.get(dep), env));
    starting.set(
      name,
      Promise.all(needed).then(() =>
        upOne(DRIVERS[name], context(name, env, paths, installers, say), options.timeoutMs),
      ),
    );
  }
  const results = await Promise.allSettled(starting.values());
  const failures = results.flatMap((result) =>
    result.status === 'rejected' ? [describe(result.reason)] : [],
  );
  if (failures.length > 0) {
    throw new Error(failures.join('\n\n'));
  }
  return results.map((result) => (result as PromiseFulfilledResult<ServiceState>).value);
}

/** Resolves once `dep`, which `name` needs, is up: started by this call or already running. */
async function neededUp(
  name: ServiceName,
  dep: ServiceName,
  starting: Promise<ServiceState> | undefined,
  env: NodeJS.ProcessEnv,
): Promise<void> {
  if (starting) {
    await starting.catch((err: unknown) => {
      throw new Error(`${name} was not started: it needs ${dep}, which did not come up`, { cause: err });
    });
    return;
  }
  if (!(await checkService(dep, { env, timeoutMs: 2000 })).healthy) {
    throw new Error(
      `${name} needs ${dep} (${SERVICES[dep].title}), which is not running: start both with \`npm run infra -- up ${dep} ${name}\``,
    );
  }
}

/** Probes the requested services and reports which process of ours runs each. */
export async function getStatus(options: InfraOptions = {}): Promise<ServiceState[]> {
  const { names, env, paths } = resolve(options);
  return Promise.all(
    names.map(async (name) => {
      const health = await checkService(name, { env, timeoutMs: 2000 });
      const running = runningProcess(paths.service(name).pidFile);
      return { ...health, pid: running?.pid, logFile: paths.service(name).logFile };
    }),
  );
}

/** Stops the requested services that `up` started. Resolves with the names it stopped. */
export async function stopServices(options: InfraOptions = {}): Promise<ServiceName[]> {
  const { names, say, paths } = resolve(options);
  const stopped = await Promise.all(
    names.map(async (name) => {
      const running = runningProcess(paths.service(name).pidFile);
      if (running === undefined) {
        await stopProcess(paths.service(name).pidFile);
        return undefined;
      }
      say(`${name}: stopping process ${running.pid}`);
      await stopProcess(paths.service(name).pidFile);
      return name;
    }),
  );
  return stopped.filter((name): name is ServiceName => name !== undefined);
}

/** Stops the requested services and deletes their data, configuration and logs. */
export async function resetServices(options: InfraOptions = {}): Promise<void> {
  const { names, say, paths } = resolve(options);
  await stopServices(options);
  for (const name of names) {
    rmSync(paths.service(name).dir, { recursive: true, force: true });
    say(`${name}: data deleted`);
  }
}

/**
 * The variables an app needs to reach the local services: every service's `urlEnv` and
 * the S3 credentials, bucket and region.
 */
export function serviceEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const local = localEnv(env);
  const result: Record<string, string> = {};
  for (const name of SERVICE_NAMES) result[SERVICES[name].urlEnv] = serviceEndpoint(name, local).url;
  result[S3_ENV.accessKey] = LOCAL_DEFAULTS.s3AccessKey;
  result[S3_ENV.secretKey] = LOCAL_DEFAULTS.s3SecretKey;
  result[S3_ENV.bucket] = LOCAL_DEFAULTS.s3Bucket;
  result[S3_ENV.region] = LOCAL_DEFAULTS.s3Region;
  return result;
}

/**
 * The environment as the local services see it: ports moved by `portEnv` variables, but
 * none of the `urlEnv` or S3 credential overrides that point apps elsewhere.
 */
export function localEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const copy = { ...env };
  for (const name of SERVICE_NAMES) delete copy[SERVICES[name].urlEnv];
  for (const variable of Object.values(S3_ENV)) delete copy[variable];
  return copy;
}

function resolve(options: InfraOptions): {
  names: ServiceName[];
  env: NodeJS.ProcessEnv;
  say: (message: string) => void;
  paths: InfraPaths;
} {
  const env = localEnv(options.env ?? process.env);
  const wanted = new Set(options.services ?? SERVICE_NAMES);
  return {
    names: SERVICE_NAMES.filter((name) => wanted.has(name)),
    env,
    say: options.say ?? ((message) => process.stderr.write(`sluice infra: ${message}\n`)),
    paths: infraPaths(env),
  };
}

function context(
  name: ServiceName,
  env: NodeJS.ProcessEnv,
  paths: InfraPaths,
  installers: ServiceContext['installers'],
  say: (message: string) => void,
): ServiceContext {
  const { host, port } = serviceEndpoint(name, env);
  return { name, host, port, paths: paths.service(name), infra: paths, installers, env, say };
}

// Another `up` working on the same service (a second terminal, a test runner) is waited
// for, so two processes never race to start it.
async function upOne(driver: ServiceDriver, ctx: ServiceContext, timeoutMs?: number): Promise<ServiceState> {
  const lock = join(ctx.infra.run, `${ctx.name}.lock`);
  return withFileLock(lock, 30 * 60_000, () => upLocked(driver, ctx, timeoutMs));
}

async function upLocked(
  driver: ServiceDriver,
  ctx: ServiceContext,
  timeoutMs?: number,
): Promise<ServiceState> {
  const started = Date.now();
  const { name, paths } = ctx;
  const state = (health: ServiceHealth, record?: PidRecord): ServiceState => ({
    ...health,
    pid: record?.pid,
    logFile: paths.logFile,
  });
  const running = runningProcess(paths.pidFile);
  const health = await checkService(name, { env: ctx.env, timeoutMs: 2000 });
  if (health.healthy) {
    if (running !== undefined) await driver.provision?.(ctx);
    ctx.say(
      `${name}: already up on ${ctx.host}:${ctx.port}${running ? '' : ' (not started by sluice; left alone)'}`,
    );
    return state(health, running);
  }
  const limit = timeoutMs ?? driver.startTimeoutMs;
  if (running !== undefined) {
    ctx.say(`${name}: process ${running.pid} is running but not healthy yet; waiting`);
    return state(await settle(ctx, driver, running, Date.now() + limit), running);
  }

  await assertPortsFree(ctx);
  const launch = await driver.prepare(ctx).catch((error: unknown) => {
    throw new Error(
      `${name} (${SERVICES[name].title}) could not be installed or set up: ${describe(error)}`,
      {
        cause: error,
      },
    );
  });
  const record = await spawnDetached({
    command: launch.command,
    args: launch.args,
    cwd: launch.cwd ?? paths.dir,
    env: { ...ctx.env, ...launch.env },
    logFile: paths.logFile,
    pidFile: paths.pidFile,
  });
  const launched = Date.now();
  ctx.say(`${name}: started (pid ${record.pid}), waiting until it is healthy`);
  const healthy = await settle(ctx, driver, record, launched + limit);
  ctx.say(
    `${name}: healthy after ${seconds(Date.now() - launched)} (${seconds(Date.now() - started)} in all)`,
  );
  return state(healthy, record);
}

/** Waits until a started process is ready, provisions it, and waits until it is healthy. */
async function settle(
  ctx: ServiceContext,
  driver: ServiceDriver,
  record: PidRecord,
  deadline: number,
): Promise<ServiceHealth> {
  if (driver.ready !== undefined) await waitReady(ctx, driver, record, deadline);
  else await waitHealthy(ctx, record, deadline);
  await driver.provision?.(ctx);
  return waitHealthy(ctx, record, deadline);
}

async function waitHealthy(ctx: ServiceContext, record: PidRecord, deadline: number): Promise<ServiceHealth> {
  let last: ServiceHealth | undefined;
  for (;;) {
    assertAlive(ctx, record);
    const remaining = deadline - Date.now();
    if (remaining <= 0) throw startFailure(ctx, `not healthy in time (${last?.error ?? 'no answer'})`);
    last = await checkService(ctx.name, { env: ctx.env, timeoutMs: Math.min(2000, remaining) });
    if (last.healthy) return last;
    await sleep(250);
  }
}

async function waitReady(
  ctx: ServiceContext,
  driver: ServiceDriver,
  record: PidRecord,
  deadline: number,
): Promise<void> {
  const controller = new AbortController();
  const ready = driver.ready?.(ctx, controller.signal);
  const watch = (async () => {
    while (!controller.signal.aborted) {
      if (!isRunning(record)) throw startFailure(ctx, 'the process exited');
      if (Date.now() > deadline) throw startFailure(ctx, 'not ready in time');
      await sleep(250);
    }
  })();
  try {
    await Promise.race([ready, watch]);
  } finally {
    controller.abort(new Error('stopped waiting'));
    await Promise.allSettled([ready, watch]);
  }
}

function assertAlive(ctx: ServiceContext, record: PidRecord): void {
  if (!isRunning(record)) throw startFailure(ctx, `process ${record.pid} exited`);
}

function startFailure(ctx: ServiceContext, reason: string): Error {
  const tail = readLogTail(ctx.paths.logFile, 15);
  return new Error(
    `${ctx.name} (${SERVICES[ctx.name].title}) failed to start: ${reason}.\n` +
      `  log: ${ctx.paths.logFile}${tail ? `\n  last lines:\n${tail.replace(/^/gm, '    ')}` : ''}\n` +
      `  Fix the cause, then \`npm run infra -- down ${ctx.name}\` and \`npm run infra -- up ${ctx.name}\`.`,
  );
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

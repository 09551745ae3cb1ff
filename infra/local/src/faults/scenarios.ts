/**
 * The fault matrix: one scenario per fault, each with what it needs set up around the
 * pipeline (a proxy in front of S3 or MariaDB, a Redis of its own) and the fault itself, run
 * while the workload uploads. A scenario's fault resolves once the fault is over and the
 * faulty part is back.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChildProcess } from 'node:child_process';
import { Redis } from 'ioredis';
import type { AppName, ServiceName } from '@sluice/config';
import {
  freePort,
  killProcess,
  launchRedisServer,
  serviceEndpoint,
  type Pipeline,
  type PipelineOptions,
  type SeededRandom,
  createLink,
  type ToxicLink,
} from '@sluice/testing';
import { ensureUp, getStatus } from '../orchestrator.ts';
import { startS3ErrorProxy } from './s3-error-proxy.ts';

/** What a fault gets to work with. */
export interface FaultContext {
  readonly pipeline: Pipeline;
  readonly random: SeededRandom;
  readonly log: (message: string) => void;
}

/** What a scenario's set-up gets: where to register clean-up, and the run's randomness. */
export interface SetupContext {
  readonly after: (fn: () => unknown) => void;
  readonly random: SeededRandom;
  readonly log: (message: string) => void;
}

/** A scenario, set up: the pipeline's options and the fault to inject. */
export interface Prepared {
  readonly options?: PipelineOptions;
  readonly fault: (ctx: FaultContext) => Promise<void>;
}

export interface Scenario {
  readonly name: string;
  /** Part of `--quick`. */
  readonly quick: boolean;
  setup(ctx: SetupContext): Promise<Prepared>;
}

const between = (random: SeededRandom, minMs: number, maxMs: number): Promise<void> =>
  sleep(random.int(minMs, maxMs));

/** SIGKILL of one app at three random moments, each time started again at once. */
function killApp(app: AppName, quick: boolean): Scenario {
  return {
    name: `SIGKILL ${app} ×3`,
    quick,
    setup: () =>
      Promise.resolve({
        fault: async ({ pipeline, random, log }) => {
          for (let i = 1; i <= 3; i++) {
            await between(random, 2_000, 8_000);
            await killProcess(pipeline.processes.get(app) as ChildProcess);
            log(`${app} killed (${i} of 3)`);
            await pipeline.restart(app);
            log(`${app} ready again`);
          }
        },
      }),
  };
}

/** The process group of a local service, as `up` started it. */
async function servicePid(name: ServiceName): Promise<number> {
  const [state] = await getStatus({ services: [name] });
  if (state?.pid === undefined) throw new Error(`${name} is not running as a service of ours`);
  return state.pid;
}

/** SIGKILL of a local service; it is started again after `downMs`. */
function killService(name: ServiceName, title: string, downMs: number, quick: boolean): Scenario {
  return {
    name: `${title} SIGKILLed, restarted after ${downMs / 1000} s`,
    quick,
    setup: () =>
      Promise.resolve({
        fault: async ({ random, log }) => {
          await between(random, 4_000, 8_000);
          const pid = await servicePid(name);
          process.kill(-pid, 'SIGKILL');
          log(`${name} killed`);
          await sleep(downMs);
          await ensureUp({ services: [name], say: log });
          log(`${name} up again`);
        },
      }),
  };
}

const s3Paused: Scenario = {
  name: 'S3 server paused 30 s',
  quick: false,
  setup: () =>
    Promise.resolve({
      fault: async ({ random, log }) => {
        await between(random, 4_000, 8_000);
        const pid = await servicePid('s3');
        process.kill(-pid, 'SIGSTOP');
        log('s3 paused');
        try {
          await sleep(30_000);
        } finally {
          process.kill(-pid, 'SIGCONT');
          log('s3 resumed');
        }
      },
    }),
};

const s3Errors: Scenario = {
  name: 'S3 answering 500/503 to half the requests for 25 s',
  quick: true,
  async setup({ after, random }) {
    const proxy = await startS3ErrorProxy(serviceEndpoint('s3').url, () => random.int(0, 999_999) / 1e6);
    after(() => proxy.close());
    return {
      options: { s3Endpoint: proxy.url },
      fault: async ({ log }) => {
        await between(random, 3_000, 6_000);
        proxy.setErrorRate(0.5);
        log('s3 answering errors');
        await sleep(25_000);
        proxy.setErrorRate(0);
        log(`s3 healthy again (${proxy.counts.errors} of ${proxy.counts.requests} requests refused)`);
      },
    };
  },
};

/** A Toxiproxy link to a local service, removed when the scenario ends. */
async function linkTo(service: ServiceName, after: SetupContext['after']): Promise<ToxicLink> {
  const { host, port } = serviceEndpoint(service);
  const link = await createLink(`sluice-faults-${service}-${process.pid}`, `${host}:${port}`);
  after(() => link.remove());
  return link;
}

const s3Resets: Scenario = {
  name: 'S3 connections reset mid-request for 25 s',
  quick: false,
  async setup({ after, random }) {
    const link = await linkTo('s3', after);
    return {
      options: { s3Endpoint: `http://${link.listen}` },
      fault: async ({ log }) => {
        await between(random, 3_000, 6_000);
        // Half the connections are cut once 256 KiB have gone up (mid-UploadPart, since parts
        // are 5 MiB), and a third of them are reset outright 50 ms after they open.
        await link.addToxic({
          name: 'cut',
          type: 'limit_data',
          stream: 'upstream',
          toxicity: 0.5,
          attributes: { bytes: 256 * 1024 },
        });
        await link.addToxic({
          name: 'reset',
          type: 'reset_peer',
          stream: 'upstream',
          toxicity: 0.3,
          attributes: { timeout: 50 },
        });
        log('s3 connections being reset');
        await sleep(25_000);
        await link.removeToxic('cut');
        await link.removeToxic('reset');
        log('s3 connections healthy again');
      },
    };
  },
};

/** A Redis of the scenario's own (the shared one keeps its data on disk, and others use it). */
async function ownRedis(
  after: SetupContext['after'],
  args: readonly string[] = [],
): Promise<{ port: number; server: () => ChildProcess; relaunch: () => Promise<void> }> {
  const port = await freePort();
  let server = await launchRedisServer(port, args);
  after(() => killProcess(server));
  return {
    port,
    server: () => server,
    relaunch: async () => {
      server = await launchRedisServer(port, args);
    },
  };
}

const redisRestarted: Scenario = {
  name: 'Redis SIGKILLed, restarted empty (no persistence)',
  quick: true,
  async setup({ after, random }) {
    const redis = await ownRedis(after);
    return {
      options: { commonEnv: { SLUICE_REDIS_URL: `redis://127.0.0.1:${redis.port}` } },
      fault: async ({ log }) => {
        await between(random, 6_000, 12_000);
        await killProcess(redis.server());
        log('redis killed');
        await sleep(2_000);
        await redis.relaunch();
        log('redis up again, empty');
      },
    };
  },
};

const redisFull: Scenario = {
  name: 'Redis filled to maxmemory for 20 s',
  quick: false,
  async setup({ after, random }) {
    const maxMemory = 320 * 1024 * 1024;
    const redis = await ownRedis(after, [
      '--maxmemory',
      String(maxMemory),
      '--maxmemory-policy',
      'noeviction',
    ]);
    return {
      options: { commonEnv: { SLUICE_REDIS_URL: `redis://127.0.0.1:${redis.port}` } },
      fault: async ({ log }) => {
        await between(random, 4_000, 8_000);
        const filler = new Redis(redis.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
        try {
          const block = Buffer.alloc(1024 * 1024, 0x5a);
          let n = 0;
          for (;;) {
            try {
              await filler.set(`fault-filler:${n++}`, block);
            } catch (err) {
              if (!String(err).includes('OOM')) throw err;
              break;
            }
          }
          log(`redis filled to maxmemory (${n - 1} MiB of filler)`);
          await sleep(20_000);
          for (let i = 0; i < n; i++) await filler.unlink(`fault-filler:${i}`);
          log('filler removed');
        } finally {
          filler.disconnect();
        }
      },
    };
  },
};

const projectorDbDown: Scenario = {
  name: "projector's database unreachable 60 s",
  quick: false,
  async setup({ after, random }) {
    const mysql = serviceEndpoint('mysql');
    const link = await linkTo('mysql', after);
    return {
      options: {
        databaseUrlFor: (app, url) =>
          app === 'projector' ? url.replace(`@${mysql.host}:${mysql.port}/`, `@${link.listen}/`) : url,
      },
      fault: async ({ log }) => {
        await between(random, 3_000, 6_000);
        await link.setEnabled(false);
        log("projector's database unreachable");
        await sleep(60_000);
        await link.setEnabled(true);
        log("projector's database reachable again");
      },
    };
  },
};

/** Every scenario, in the order the matrix runs them. */
export const SCENARIOS: readonly Scenario[] = [
  killApp('ingest-api', true),
  killApp('part-writer', true),
  killApp('assembler', false),
  killApp('projector', false),
  killService('kafka', 'Kafka broker', 5_000, false),
  killService('mysql', 'MariaDB', 5_000, false),
  s3Paused,
  s3Errors,
  s3Resets,
  redisRestarted,
  redisFull,
  projectorDbDown,
];

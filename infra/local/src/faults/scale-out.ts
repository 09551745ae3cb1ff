/**
 * `npm run test:cluster`, second half: two instances of every app on the cluster profile (three
 * Kafka brokers, a Redis Cluster of three masters with a replica each), uploads spread over both
 * ingest instances by the client's round-robin balancing, and while they run:
 * - one instance of each app SIGKILLed and started again;
 * - one Kafka broker stopped (SIGSTOP) for 30 s;
 * - one Redis master SIGKILLed, so its replica takes over (the supervisor starts the node again,
 *   and it rejoins as a replica).
 * Every upload is then followed to its end, every completed object is read back and hashed, and
 * the UploadCompleted events are read from Kafka. It prints the partition owners of each consumer
 * group before and after each kill, the calls each ingest instance served, and one table; it
 * exits 1 when an upload is lost or an upload was announced completed under two event ids.
 *
 *   node infra/local/src/faults/scale-out.ts [--uploads <n>] [--seed <n>] [--max-size <MiB>]
 *
 * The environment must point at the clusters (SLUICE_KAFKA_BROKERS, SLUICE_REDIS_URL,
 * SLUICE_KAFKA_REPLICATION); cluster.sh sets it.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { Admin, Consumer } from '@platformatic/kafka';
import { SluiceClient } from '@sluice/client';
import type { AppName } from '@sluice/config';
import { UploadEvent } from '@sluice/proto';
import { connectRedis, masters, nodeName } from '@sluice/redis';
import { Redis } from 'ioredis';
import { decodeFrame } from '@sluice/schema-registry';
import {
  kafkaBrokers,
  killProcess,
  s3Client,
  SeededRandom,
  serviceUrl,
  startPipeline,
  type Pipeline,
} from '@sluice/testing';
import { kafkaClusterBrokers, redisClusterNodes } from '../cluster.ts';
import { infraPaths } from '../paths.ts';
import { readPidFile } from '../processes.ts';
import { Workload } from './workload.ts';

const MiB = 1024 * 1024;
const { values } = parseArgs({
  options: {
    uploads: { type: 'string', default: '40' },
    seed: { type: 'string' },
    'max-size': { type: 'string', default: '64' },
  },
});
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const minUploads = Number(values.uploads);
const maxSize = Number(values['max-size']) * MiB;
if (![seed, minUploads, maxSize].every(Number.isSafeInteger) || minUploads < 1 || maxSize < 1) {
  console.error('--seed, --uploads and --max-size take whole numbers (at least 1)');
  process.exit(2);
}
const logDir = join(infraPaths().run, 'cluster');
mkdirSync(logDir, { recursive: true });
const started = Date.now();
const say = (message: string): void =>
  console.error(`[cluster ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}`);

async function run(): Promise<number> {
  const random = new SeededRandom(seed);
  say(
    `seed ${seed} (replay with --seed ${seed}); Kafka ${kafkaBrokers().join(',')}; ` +
      `Redis ${serviceUrl('redis')}; app logs in ${join(logDir, 'apps.log')}`,
  );
  const pipeline = await startPipeline(
    { after },
    { instances: 2, partitions: 6, logFile: join(logDir, 'apps.log') },
  );
  say(`2 instances of each app are ready; ingest at ${pipeline.grpcAddresses.join(' and ')}`);
  // One channel to both ingest instances, balanced per call, as a client behind a load balancer.
  const client = new SluiceClient({
    server: `ipv4:${pipeline.grpcAddresses.join(',')}`,
    apiKey: pipeline.apiKey,
    channelOptions: {
      'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
    },
  });
  after(() => client.close());
  const s3 = s3Client();
  after(() => s3.destroy());
  const owners = new Owners(pipeline);
  after(() => owners.close());

  const workload = new Workload({ client, drive: pipeline.drive, random, log: say, maxSize });
  workload.start(minUploads);
  await owners.print('at the start');
  for (const [app, instance] of [
    ['part-writer', 0],
    ['assembler', 1],
    ['projector', 0],
    ['ingest-api', 1],
  ] as const) {
    await sleep(random.int(3_000, 8_000));
    await killInstance(pipeline, owners, app, instance);
  }
  await sleep(random.int(2_000, 5_000));
  await stopBroker(random);
  await sleep(random.int(2_000, 5_000));
  await killRedisMaster();
  await workload.stop();
  say(`${workload.uploads.length} uploads ran; following each to its end`);
  const summary = await workload.settle(s3, 600_000);
  await owners.print('at the end');
  const served = await callsServed(pipeline);
  const announced = await completedAnnouncements(pipeline);

  const table = [
    '| uploads started | chunks acknowledged | completed byte-identical | failed with a stated reason | lost | announced completed under two event ids |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${summary.started} | ${summary.chunksAcked} | ${summary.identical} | ${summary.failed} | ${summary.lost} | ${announced.twice} |`,
  ].join('\n');
  const report =
    `Scale-out run, ${new Date().toISOString().slice(0, 10)}, seed ${seed}, ` +
    `${Math.round((Date.now() - started) / 1000)} s; 2 instances of each app, 3 Kafka brokers, ` +
    `Redis Cluster of 3 masters + 3 replicas\n\n${table}\n\n` +
    `Chunk and seal calls served per ingest instance: ${served.join(', ')}\n` +
    `UploadCompleted events read: ${announced.events} for ${announced.uploads} uploads\n` +
    [...summary.reasons].map(([r, n]) => `- failed: ${n} × ${r}\n`).join('') +
    summary.lostDetail.map((d) => `- LOST ${d}\n`).join('') +
    announced.detail.map((d) => `- ANNOUNCED TWICE ${d}\n`).join('');
  writeFileSync(join(logDir, 'report.md'), report);
  console.log(report);
  const bad =
    summary.lost > 0 || announced.twice > 0 || summary.identical + summary.failed !== summary.started;
  say(bad ? 'FAILED' : 'lost = 0, every completion announced once');
  return bad ? 1 : 0;
}

/** SIGKILLs one instance, prints the owners once its partitions have moved, and starts it again. */
async function killInstance(
  pipeline: Pipeline,
  owners: Owners,
  app: AppName,
  instance: number,
): Promise<void> {
  await owners.print(`before ${app}#${instance} is killed`);
  const victim = pipeline.instancesOf(app)[instance]?.process;
  if (!victim) throw new Error(`${app} has no instance ${instance}`);
  await killProcess(victim);
  say(`${app}#${instance} (pid ${victim.pid}) SIGKILLed`);
  // The group moves its partitions once the member's session lapses (45 s at most).
  if (app !== 'ingest-api') await owners.waitWithout(app, victim.pid as number, 60_000);
  await owners.print(`after ${app}#${instance} was killed`);
  await pipeline.restart(app, instance);
  say(`${app}#${instance} started again (pid ${pipeline.instancesOf(app)[instance]?.process.pid})`);
  if (app !== 'ingest-api') await owners.print(`after ${app}#${instance} started again`);
}

/** Stops one broker with SIGSTOP for 30 s: it holds its connections but answers nothing. */
async function stopBroker(random: SeededRandom): Promise<void> {
  const brokers = kafkaClusterBrokers();
  const broker = brokers[random.int(0, brokers.length - 1)];
  const pid = broker && readPidFile(broker.pidFile)?.pid;
  if (!broker || pid === undefined) throw new Error('no broker of the kafka-cluster service is running');
  process.kill(pid, 'SIGSTOP');
  say(`Kafka ${broker.name} (port ${broker.port}, pid ${pid}) stopped for 30 s`);
  try {
    await sleep(30_000);
  } finally {
    process.kill(pid, 'SIGCONT');
    say(`Kafka ${broker.name} continued`);
  }
}

/** SIGKILLs a Redis master and waits until its replica has taken over its slots. */
async function killRedisMaster(): Promise<void> {
  const redis = connectRedis(serviceUrl('redis'), { lazyConnect: true });
  let name: string;
  try {
    await redis.connect();
    const master = masters(redis)[0];
    if (!master) throw new Error('the Redis Cluster reports no master');
    name = nodeName(master);
  } finally {
    redis.disconnect();
  }
  const nodes = redisClusterNodes();
  const node = nodes.find((n) => `127.0.0.1:${n.port}` === name);
  const pid = node && readPidFile(node.pidFile)?.pid;
  if (!node || pid === undefined) throw new Error(`Redis master ${name} is not a node of the local cluster`);
  process.kill(pid, 'SIGKILL');
  say(`Redis master ${name} (pid ${pid}) SIGKILLed`);
  // Asked of another node, as an operator would: the cluster serves every slot again, and the
  // killed node holds none (it is marked failed, or back as a replica of the promoted one).
  const witness = nodes.find((n) => n !== node) as (typeof nodes)[number];
  const deadline = Date.now() + 60_000;
  for (;;) {
    await sleep(1_000);
    const probe = new Redis(witness.port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0 });
    const view = await probe
      .connect()
      .then(async () => ({
        info: String(await probe.cluster('INFO')),
        nodes: String(await probe.cluster('NODES')),
      }))
      .catch(() => undefined)
      .finally(() => probe.disconnect());
    const line = view?.nodes.split('\n').find((l) => l.split(' ')[1]?.startsWith(`${name}@`));
    const servesNone = line !== undefined && line.split(' ').length <= 8;
    if (view?.info.includes('cluster_state:ok') && servesNone) {
      const promoted = view.nodes
        .split('\n')
        .filter(
          (l) => / master /.test(` ${l.split(' ')[2] ?? ''} `.replace(/,/g, ' ')) && l.split(' ').length > 8,
        )
        .map((l) => l.split(' ')[1]?.split('@')[0]);
      say(`its replica took over: masters are now ${promoted.join(', ')}`);
      return;
    }
    if (Date.now() > deadline) throw new Error(`no replica took over from ${name} within 60 s`);
  }
}

/** Who owns which partitions of each consumer group, by instance. */
class Owners {
  readonly #pipeline: Pipeline;
  readonly #admin = new Admin({ clientId: 'sluice-cluster-run', bootstrapBrokers: kafkaBrokers() });
  readonly #groups: Readonly<Record<Exclude<AppName, 'ingest-api'>, string>>;

  constructor(pipeline: Pipeline) {
    this.#pipeline = pipeline;
    this.#groups = {
      'part-writer': `${pipeline.redisNamespace}-part-writer`,
      assembler: `${pipeline.topicPrefix}sluice-assembler`,
      projector: `${pipeline.redisNamespace}-projector`,
    };
  }

  /** Each member's instance (`app#n`, by the pid in its client id) and partitions. */
  async snapshot(): Promise<Map<string, string[]>> {
    const groups = await this.#admin.describeGroups({ groups: Object.values(this.#groups) });
    const owned = new Map<string, string[]>();
    for (const [app, groupId] of Object.entries(this.#groups) as [AppName, string][]) {
      const instances = this.#pipeline.instancesOf(app);
      for (const member of groups.get(groupId)?.members.values() ?? []) {
        const n = instances.findIndex(({ process }) => member.clientId.includes(`-${process.pid}-`));
        const who = `${app}#${n < 0 ? `? (${member.clientId})` : n}`;
        const parts = [...(member.assignments?.values() ?? [])].flatMap((a) =>
          a.partitions.map((p) => `${a.topic.slice(this.#pipeline.topicPrefix.length)}/${p}`),
        );
        owned.set(who, [...(owned.get(who) ?? []), ...parts.sort()]);
      }
    }
    return owned;
  }

  async print(when: string): Promise<void> {
    const owned = await this.snapshot().catch((err: unknown) => {
      say(`partition owners ${when}: cannot be read (${(err as Error).message})`);
      return undefined;
    });
    if (owned === undefined) return;
    const lines = [...owned].sort(([a], [b]) => a.localeCompare(b));
    say(
      `partition owners ${when}:\n${lines.map(([who, parts]) => `    ${who.padEnd(14)} ${parts.join(' ') || '(none)'}`).join('\n')}`,
    );
  }

  /** Waits until no member of the app's group belongs to the process `pid`. */
  async waitWithout(app: AppName, pid: number, timeoutMs: number): Promise<void> {
    const groupId = this.#groups[app as Exclude<AppName, 'ingest-api'>];
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const group = (await this.#admin.describeGroups({ groups: [groupId] }).catch(() => undefined))?.get(
        groupId,
      );
      const members = [...(group?.members.values() ?? [])];
      if (group && !members.some((m) => m.clientId.includes(`-${pid}-`)) && members.length > 0) return;
      await sleep(1_000);
    }
    say(`${app}: the killed member was still in the group after ${timeoutMs / 1000} s`);
  }

  close(): Promise<void> {
    return this.#admin.close();
  }
}

/** `sluice_ingest_*` chunk and seal calls each ingest instance answered, from its /metrics. */
async function callsServed(pipeline: Pipeline): Promise<string[]> {
  return Promise.all(
    pipeline.instancesOf('ingest-api').map(async ({ httpPort }, n) => {
      const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
      let calls = 0;
      for (const m of text.matchAll(/^grpc_server_handled_total\{([^}]*)\} (\d+)/gm)) {
        if (/grpc_method="(UploadChunk|UploadChunkStream|CompleteUpload)"/.test(m[1] ?? ''))
          calls += Number(m[2]);
      }
      return `ingest-api#${n}: ${calls} (since its last start)`;
    }),
  );
}

/** Reads intake.uploads to its end: UploadCompleted events, and uploads announced under two ids. */
async function completedAnnouncements(
  pipeline: Pipeline,
): Promise<{ events: number; uploads: number; twice: number; detail: string[] }> {
  const consumer = new Consumer({
    groupId: randomUUID(),
    clientId: 'sluice-cluster-reader',
    bootstrapBrokers: kafkaBrokers(),
    maxWaitTime: 200,
  });
  try {
    const topic = `${pipeline.topicPrefix}intake.uploads`;
    const ends = await consumer.listOffsets({ topics: [topic] });
    const total = (ends.get(topic) ?? []).reduce((s, o) => s + Number(o), 0);
    const ids = new Map<string, Set<string>>();
    let events = 0;
    if (total > 0) {
      const stream = await consumer.consume({ topics: [topic], mode: 'earliest' });
      let seen = 0;
      for await (const m of stream) {
        const event = UploadEvent.decode(decodeFrame(m.value).payload);
        if (event.event?.$case === 'uploadCompleted') {
          events++;
          ids.set(event.uploadId, (ids.get(event.uploadId) ?? new Set()).add(event.eventId));
        }
        if (++seen >= total) break;
      }
      await stream.close();
    }
    const detail = [...ids]
      .filter(([, set]) => set.size > 1)
      .map(([upload, set]) => `${upload}: ${[...set].join(', ')}`);
    return { events, uploads: ids.size, twice: detail.length, detail };
  } finally {
    await consumer.close(true);
  }
}

// Last, so every class above is initialised before the run uses it.
const cleanups: (() => unknown)[] = [];
const after = (fn: () => unknown): void => void cleanups.push(fn);
let exitCode = 1;
try {
  exitCode = await run();
} catch (err) {
  say(`the run itself failed: ${(err as Error).stack ?? String(err)}`);
} finally {
  for (const fn of cleanups.reverse()) {
    try {
      await fn();
    } catch (err) {
      say(`clean-up: ${(err as Error).message}`);
    }
  }
}
process.exit(exitCode);

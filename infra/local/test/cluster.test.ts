/**
 * The cluster profile under faults: a Redis master SIGKILLed fails over to its replica, keeps
 * what was replicated, and comes back (restarted by the supervisor) as a replica; a broker
 * paused with SIGSTOP is fenced, then rejoins when resumed. It starts both clusters (a few
 * minutes the first time), so it runs only with SLUICE_TEST_CLUSTER=1, and leaves them running.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Admin } from '@platformatic/kafka';
import { Redis } from 'ioredis';
import { checkService, kafkaBrokers } from '@sluice/testing';
import { clusterNodes } from '../src/cluster.ts';
import { ensureUp, localEnv } from '../src/orchestrator.ts';
import { isRunning, readPidFile, type PidRecord } from '../src/processes.ts';

const enabled = process.env.SLUICE_TEST_CLUSTER === '1';
const env = localEnv();
const nodes = clusterNodes(env);

/** One line of CLUSTER NODES. */
interface NodeLine {
  readonly id: string;
  readonly port: number;
  readonly flags: readonly string[];
  readonly masterId: string;
  /** Slot ranges as [first, last]. */
  readonly slots: readonly (readonly [number, number])[];
}

/** Polls `read` until it returns something; fails, with the last error seen, after `ms`. */
async function eventually<T>(what: string, read: () => Promise<T | undefined>, ms = 120_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await read();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s`, { cause: last });
    await sleep(500);
  }
}

/** Runs `work` on a plain (not cluster-aware) connection to one node. */
async function onNode<T>(port: number, work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis({
    host: '127.0.0.1',
    port,
    lazyConnect: true,
    retryStrategy: () => null,
    maxRetriesPerRequest: 0,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await work(redis);
  } finally {
    redis.disconnect();
  }
}

async function clusterView(port: number): Promise<{ state: string; nodes: NodeLine[] }> {
  return onNode(port, async (redis) => {
    const info = String(await redis.call('CLUSTER', 'INFO'));
    const listing = String(await redis.call('CLUSTER', 'NODES'));
    const lines = listing.split('\n').filter((line) => line.trim() !== '');
    return {
      state: /^cluster_state:(\w+)/m.exec(info)?.[1] ?? '',
      nodes: lines.map((line) => {
        const [id = '', address = '', flags = '', masterId = '', , , , , ...slots] = line.trim().split(' ');
        return {
          id,
          port: Number(/:(\d+)@/.exec(address)?.[1]),
          flags: flags.split(','),
          masterId,
          slots: slots
            .filter((range) => !range.startsWith('['))
            .map((range) => {
              const [first = '', last = first] = range.split('-');
              return [Number(first), Number(last)] as const;
            }),
        };
      }),
    };
  });
}

const serves = (node: NodeLine, slot: number): boolean =>
  node.flags.includes('master') && node.slots.some(([first, last]) => first <= slot && slot <= last);
const failing = (node: NodeLine): boolean => node.flags.some((flag) => flag === 'fail' || flag === 'fail?');

/** The running process recorded in a pid file. */
function runningRecord(pidFile: string): PidRecord | undefined {
  const record = readPidFile(pidFile);
  return record !== undefined && isRunning(record) ? record : undefined;
}

async function brokerCount(bootstrapBrokers: string[]): Promise<number> {
  const admin = new Admin({
    clientId: 'cluster-test',
    bootstrapBrokers,
    connectTimeout: 3000,
    timeout: 3000,
    retries: 0,
  });
  try {
    return (await admin.metadata({ topics: [] })).brokers.size;
  } finally {
    await admin.close().catch(() => undefined);
  }
}

describe(
  'the cluster profile',
  { skip: enabled ? false : 'set SLUICE_TEST_CLUSTER=1 to start the clusters and run it' },
  () => {
    before(() => ensureUp({ services: ['redis-cluster', 'kafka-cluster'], env }), { timeout: 15 * 60_000 });

    test('both clusters are whole: every slot served by 3 masters with replicas, 3 brokers', async () => {
      for (const name of ['redis-cluster', 'kafka-cluster'] as const) {
        const health = await checkService(name, { env, timeoutMs: 5000 });
        assert.ok(health.healthy, `${name}: ${health.error ?? ''}`);
      }
    });

    test('a SIGKILLed Redis master fails over to its replica, keeps replicated writes, and returns as a replica', async () => {
      const seed = nodes.redis[0]?.port ?? 0;
      const before = await clusterView(seed);
      const master = before.nodes.find((node) => serves(node, 0));
      assert.ok(master !== undefined, 'no master serves slot 0');
      const victim = nodes.redis.find((node) => node.port === master.port);
      assert.ok(victim !== undefined, `slot 0 is served on port ${master.port}, not a node of ours`);
      const record = runningRecord(victim.pidFile);
      assert.ok(record !== undefined, `no running node in ${victim.pidFile}`);

      // A key of the victim's, acknowledged by its replica before the kill.
      const key = await onNode(victim.port, async (redis) => {
        for (;;) {
          const candidate = `cluster-test:${randomUUID()}`;
          const slot = Number(await redis.call('CLUSTER', 'KEYSLOT', candidate));
          if (serves(master, slot)) {
            await redis.set(candidate, 'kept');
            assert.equal(
              await redis.call('WAIT', '1', '5000'),
              1,
              'the replica did not acknowledge the write',
            );
            return candidate;
          }
        }
      });

      process.kill(record.pid, 'SIGKILL');
      const witness = nodes.redis.find((node) => node.port !== victim.port)?.port ?? 0;
      const promoted = await eventually('a replica takes over slot 0', async () => {
        const view = await clusterView(witness);
        const owner = view.nodes.find((node) => serves(node, 0) && !failing(node));
        return view.state === 'ok' && owner !== undefined && owner.id !== master.id ? owner : undefined;
      });
      assert.equal(await onNode(promoted.port, (redis) => redis.get(key)), 'kept');

      const restarted = await eventually('the supervisor restarts the killed node', () => {
        const again = runningRecord(victim.pidFile);
        return Promise.resolve(again !== undefined && again.pid !== record.pid ? again : undefined);
      });
      assert.notEqual(restarted.pid, record.pid);
      const rejoined = await eventually('the old master rejoins as a replica', async () => {
        const view = await clusterView(witness);
        const old = view.nodes.find((node) => node.id === master.id);
        return old !== undefined && old.flags.includes('slave') && !failing(old) ? old : undefined;
      });
      assert.equal(
        rejoined.masterId,
        promoted.id,
        'the old master should replicate the one that took its slots',
      );
      await eventually(
        'the Redis Cluster is healthy again',
        async () => (await checkService('redis-cluster', { env })).healthy || undefined,
      );
    });

    test('a broker paused with SIGSTOP is fenced, is not restarted, and rejoins once resumed', async (t) => {
      const [first, paused] = nodes.kafka;
      assert.ok(first !== undefined && paused !== undefined);
      const record = runningRecord(paused.pidFile);
      assert.ok(record !== undefined, `no running broker in ${paused.pidFile}`);
      const others = kafkaBrokers(env, 'kafka-cluster').filter(
        (broker) => !broker.endsWith(`:${paused.port}`),
      );

      process.kill(record.pid, 'SIGSTOP');
      t.after(() => {
        // Whatever happened, the broker must not stay paused; it may have exited meanwhile.
        if (isRunning(record)) process.kill(record.pid, 'SIGCONT');
      });
      // Unanswered heartbeats make the controller fence it (broker.session.timeout.ms, 9 s).
      await eventually('the cluster reports 2 brokers while one is paused', async () =>
        (await brokerCount(others)) === 2 ? true : undefined,
      );
      process.kill(record.pid, 'SIGCONT');

      await eventually('the resumed broker rejoins', async () =>
        (await brokerCount(kafkaBrokers(env, 'kafka-cluster'))) === 3 ? true : undefined,
      );
      assert.equal(
        runningRecord(paused.pidFile)?.pid,
        record.pid,
        'a paused broker is not dead: it must not be restarted',
      );
      assert.ok((await checkService('kafka-cluster', { env, timeoutMs: 5000 })).healthy);
    });
  },
);

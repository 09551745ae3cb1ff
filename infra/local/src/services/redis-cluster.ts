/**
 * Redis Cluster: six redis-server processes (Debian's Redis 7) on 127.0.0.1, ports 17001–17006
 * (SLUICE_REDIS_CLUSTER_PORT moves them together; the cluster bus is each port + 10000), three
 * masters with one replica each, run by one supervisor (supervisor.ts) that restarts a node
 * that dies. See cluster.ts for where each node keeps its files.
 *
 * The single Redis's rules hold: writes are refused when a node is full (noeviction), and
 * nothing is persisted (no RDB, no AOF). A node's cluster identity and its view of the
 * cluster live in its nodes.conf, which is kept, so the cluster is created once, by
 * `redis-cli --cluster create` when no node has a slot, and is whole again after a restart.
 *
 * Having no persistence decides the restart delay. A master restarted empty before its
 * replica took over would still own its slots, and the replica would then copy the empty
 * data set from it: everything on that master would be lost. The node timeout (3 s) marks a
 * dead master as failing and its replica wins the election about a second later; a dead node
 * is restarted only after RESTART_DELAY_MS, well after that, so the old master comes back to
 * find its slots taken and becomes the new master's replica.
 * `cluster-replica-validity-factor 0` lets a replica take over however long it was cut off.
 */
import { mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { REDIS_CLUSTER_MASTERS } from '@sluice/config';
import { Redis } from 'ioredis';
import { redisClusterNodes, type RedisClusterNode } from '../cluster.ts';
import { findExecutable, runCommand } from '../run-command.ts';
import type { ServiceDriver } from '../service-driver.ts';
import { supervisorLaunch } from '../supervisor.ts';

/** Memory limit of each node. */
const MAXMEMORY = '512mb';
const NODE_TIMEOUT_MS = 3000;
/** How long a dead node stays down before the supervisor starts it again (see above). */
const RESTART_DELAY_MS = 10_000;

export const redisCluster: ServiceDriver = {
  name: 'redis-cluster',
  aptPackages: ['redis-server'],
  startTimeoutMs: 60_000,
  async prepare(ctx) {
    await ctx.installers.apt('redis-server');
    const server = findExecutable('redis-server') ?? 'redis-server';
    const nodes = redisClusterNodes(ctx.env);
    for (const node of nodes) mkdirSync(node.dataDir, { recursive: true });
    return supervisorLaunch(ctx, {
      restartDelayMs: RESTART_DELAY_MS,
      children: nodes.map((node) => ({
        name: node.name,
        command: server,
        args: nodeArgs(ctx.host, node),
        cwd: node.dataDir,
        logFile: node.logFile,
        pidFile: node.pidFile,
      })),
    });
  },

  // Every node answers: the cluster can be created, or has had time to find itself again.
  async ready(ctx, signal) {
    const nodes = redisClusterNodes(ctx.env);
    while (!signal.aborted) {
      const answers = await Promise.all(
        nodes.map((node) => nodeCommand(ctx.host, node.port, ['PING']).catch(() => undefined)),
      );
      if (answers.every((answer) => answer === 'PONG')) return;
      await sleep(250);
    }
  },

  async provision(ctx) {
    const nodes = redisClusterNodes(ctx.env);
    const infos = await Promise.all(
      nodes.map((node) => nodeCommand(ctx.host, node.port, ['CLUSTER', 'INFO'])),
    );
    // A node with slots is part of the cluster made before; its nodes.conf brings it back.
    if (infos.some((info) => !/^cluster_slots_assigned:0\s*$/m.test(info))) return;
    ctx.say(`redis-cluster: creating the cluster (${REDIS_CLUSTER_MASTERS} masters with replicas)`);
    const cli = findExecutable('redis-cli');
    if (cli === undefined) {
      throw new Error('redis-cli is not on PATH: install it with `apt-get install -y redis-tools`');
    }
    await runCommand(
      cli,
      [
        '--cluster',
        'create',
        ...nodes.map((node) => `${ctx.host}:${node.port}`),
        '--cluster-replicas',
        String(nodes.length / REDIS_CLUSTER_MASTERS - 1),
        '--cluster-yes',
      ],
      {
        logFile: ctx.paths.logFile,
        timeoutMs: 60_000,
        hint:
          'If the nodes hold half a cluster from an earlier attempt, start afresh: ' +
          '`npm run infra -- reset redis-cluster`, then `npm run infra -- up redis-cluster`.',
      },
    );
  },
};

function nodeArgs(host: string, node: RedisClusterNode): string[] {
  return [
    '--bind',
    host,
    '--port',
    String(node.port),
    '--protected-mode',
    'yes',
    '--daemonize',
    'no',
    '--dir',
    node.dataDir,
    '--logfile',
    '',
    '--cluster-enabled',
    'yes',
    '--cluster-config-file',
    `${node.dataDir}/nodes.conf`,
    '--cluster-node-timeout',
    String(NODE_TIMEOUT_MS),
    '--cluster-replica-validity-factor',
    '0',
    '--cluster-allow-reads-when-down',
    'no',
    '--maxmemory',
    MAXMEMORY,
    '--maxmemory-policy',
    'noeviction',
    '--save',
    '',
    '--appendonly',
    'no',
  ];
}

/** Sends one command to one node, without retries, and returns the reply as text. */
async function nodeCommand(host: string, port: number, command: readonly string[]): Promise<string> {
  const redis = new Redis({
    host,
    port,
    lazyConnect: true,
    connectTimeout: 2000,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    const [name = '', ...args] = command;
    return String(await redis.call(name, ...args));
  } finally {
    redis.disconnect();
  }
}

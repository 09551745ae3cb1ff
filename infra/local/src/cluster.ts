/**
 * Where the nodes of the two cluster services are: their ports, folders and pid files, so a
 * driver can configure them and a fault test can find one node and kill or pause it by pid
 * (`readPidFile`). Each service's first port moves all its ports together.
 *
 *   <run>/redis-cluster/             (see paths.ts for <run>)
 *     service.pid, service.log       the supervisor, and its log of node starts and exits
 *     supervisor.json                what it runs
 *     node-<port>.pid, .log          each node: pid and start time, output
 *     data/node-<port>/nodes.conf    the node's cluster identity and view, kept across restarts
 *   <run>/kafka-cluster/
 *     broker-<n>.pid, .log, .properties
 *     cluster.id                     the id all three brokers were formatted with
 *     logs/broker-<n>/               Kafka's own logs
 *     data/broker-<n>/               the broker's log.dirs, formatted once
 */
import { join } from 'node:path';
import { KAFKA_CLUSTER_CONTROLLER_OFFSET, SERVICES, type ServiceName } from '@sluice/config';
import { portFromEnv } from '@sluice/testing';
import { infraPaths } from './paths.ts';

/** A Redis Cluster node listens on its port for clients and on port + 10000 for the cluster bus. */
export const REDIS_CLUSTER_BUS_OFFSET = 10_000;

/** One node of the local Redis Cluster. */
export interface RedisClusterNode {
  /** `node-<port>`, in file names and the supervisor's log. */
  readonly name: string;
  readonly port: number;
  readonly busPort: number;
  readonly dataDir: string;
  readonly pidFile: string;
  readonly logFile: string;
}

/** One broker (and KRaft controller) of the local Kafka cluster. */
export interface KafkaClusterBroker {
  /** `broker-<nodeId>`. */
  readonly name: string;
  readonly nodeId: number;
  readonly port: number;
  readonly controllerPort: number;
  readonly properties: string;
  readonly dataDir: string;
  readonly logsDir: string;
  readonly pidFile: string;
  readonly logFile: string;
}

/** Both clusters' nodes. */
export interface ClusterNodes {
  readonly redis: readonly RedisClusterNode[];
  readonly kafka: readonly KafkaClusterBroker[];
}

/** The nodes of both clusters, with ports and folders as `env` moves them. */
export function clusterNodes(env: NodeJS.ProcessEnv = process.env): ClusterNodes {
  return { redis: redisClusterNodes(env), kafka: kafkaClusterBrokers(env) };
}

/** The six Redis Cluster nodes, on the service's port and the five above it. */
export function redisClusterNodes(env: NodeJS.ProcessEnv = process.env): RedisClusterNode[] {
  const dir = infraPaths(env).service('redis-cluster');
  return consecutivePorts('redis-cluster', env).map((port) => {
    const name = `node-${port}`;
    return {
      name,
      port,
      busPort: port + REDIS_CLUSTER_BUS_OFFSET,
      dataDir: join(dir.dataDir, name),
      pidFile: join(dir.dir, `${name}.pid`),
      logFile: join(dir.dir, `${name}.log`),
    };
  });
}

/** The three Kafka brokers, node ids 1 to 3, on the service's port and the two above it. */
export function kafkaClusterBrokers(env: NodeJS.ProcessEnv = process.env): KafkaClusterBroker[] {
  const dir = infraPaths(env).service('kafka-cluster');
  return consecutivePorts('kafka-cluster', env).map((port, i) => {
    const name = `broker-${i + 1}`;
    return {
      name,
      nodeId: i + 1,
      port,
      controllerPort: port + KAFKA_CLUSTER_CONTROLLER_OFFSET,
      properties: join(dir.dir, `${name}.properties`),
      dataDir: join(dir.dataDir, name),
      logsDir: join(dir.dir, 'logs', name),
      pidFile: join(dir.dir, `${name}.pid`),
      logFile: join(dir.dir, `${name}.log`),
    };
  });
}

/**
 * Every port a cluster service listens on beside its own (catalogue) port, each with the
 * variable that moves it; none for a service of one process.
 */
export function clusterPorts(
  name: ServiceName,
  env: NodeJS.ProcessEnv,
): { readonly port: number; readonly variable: string }[] {
  const variable = SERVICES[name].portEnv;
  const [, ...others] = consecutivePorts(name, env);
  if (name === 'redis-cluster') {
    const bus = redisClusterNodes(env).map((node) => node.busPort);
    return [...others, ...bus].map((port) => ({ port, variable }));
  }
  if (name === 'kafka-cluster') {
    const controllers = kafkaClusterBrokers(env).map((broker) => broker.controllerPort);
    return [...others, ...controllers].map((port) => ({ port, variable }));
  }
  return others.map((port) => ({ port, variable }));
}

function consecutivePorts(name: ServiceName, env: NodeJS.ProcessEnv): number[] {
  const spec = SERVICES[name];
  const first = portFromEnv(env, spec.portEnv, spec.port);
  return Array.from({ length: spec.nodes ?? 1 }, (_, i) => first + i);
}

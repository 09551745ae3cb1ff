/**
 * A Kafka cluster of three KRaft nodes, each both broker and controller, on 127.0.0.1: brokers
 * on 19192–19194 and controllers on 19292–19294 (SLUICE_KAFKA_CLUSTER_PORT moves them all),
 * run by one supervisor (supervisor.ts) that restarts a broker that dies. See cluster.ts for
 * where each broker keeps its files.
 *
 * As with the single Kafka (kafka.ts, whose Java, jars, format and JVM flags this shares),
 * the controller quorum is static, so its ports may move on existing data folders. All three
 * data folders are formatted with one cluster id, each once, before the first start.
 *
 * Replication is what a production cluster would use: every topic and internal topic has
 * three replicas and takes writes while two are in sync, so one broker may be killed or
 * paused without losing acknowledged records or stopping producers.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kafkaClusterBrokers, type KafkaClusterBroker } from '../cluster.ts';
import type { ServiceContext, ServiceDriver } from '../service-driver.ts';
import { supervisorLaunch } from '../supervisor.ts';
import {
  formatStorage,
  isFormatted,
  kafkaArgs,
  kafkaRuntime,
  newClusterId,
  propertiesText,
} from './kafka-runtime.ts';

/** JVM heap of each broker; `SLUICE_KAFKA_HEAP` changes it, as it does the single Kafka's. */
const DEFAULT_HEAP = '384m';

export const kafkaCluster: ServiceDriver = {
  name: 'kafka-cluster',
  aptPackages: [],
  startTimeoutMs: 180_000,
  async prepare(ctx) {
    const runtime = await kafkaRuntime(ctx);
    const brokers = kafkaClusterBrokers(ctx.env);
    mkdirSync(ctx.paths.dir, { recursive: true });
    const clusterId = ensureClusterId(ctx.paths.dir, brokers);
    for (const broker of brokers) {
      mkdirSync(broker.dataDir, { recursive: true });
      writeFileSync(broker.properties, brokerProperties(ctx, broker, brokers));
      if (!isFormatted(broker.dataDir)) {
        ctx.say(`kafka-cluster: formatting the data folder of ${broker.name} (KRaft)`);
        await formatStorage(runtime, {
          properties: broker.properties,
          clusterId,
          logFile: ctx.paths.logFile,
        });
      }
    }
    const heap = ctx.env.SLUICE_KAFKA_HEAP || DEFAULT_HEAP;
    return supervisorLaunch(ctx, {
      children: brokers.map((broker) => ({
        name: broker.name,
        command: runtime.java,
        args: kafkaArgs(runtime, { heap, logsDir: broker.logsDir, properties: broker.properties }),
        cwd: ctx.paths.dir,
        logFile: broker.logFile,
        pidFile: broker.pidFile,
      })),
    });
  },
};

/**
 * The cluster id every broker is formatted with: the one recorded in `cluster.id`, or the one
 * a broker was already formatted with (a lost `cluster.id`), or a new one.
 */
function ensureClusterId(dir: string, brokers: readonly KafkaClusterBroker[]): string {
  const file = join(dir, 'cluster.id');
  const formatted = brokers
    .map((broker) => join(broker.dataDir, 'meta.properties'))
    .filter((meta) => existsSync(meta))
    .map((meta) => /^cluster\.id=(\S+)/m.exec(readFileSync(meta, 'utf8'))?.[1]);
  const id = existsSync(file)
    ? readFileSync(file, 'utf8').trim()
    : (formatted.find((found) => found !== undefined) ?? newClusterId());
  writeFileSync(file, `${id}\n`);
  return id;
}

function brokerProperties(
  ctx: ServiceContext,
  broker: KafkaClusterBroker,
  brokers: readonly KafkaClusterBroker[],
): string {
  const served = `PLAINTEXT://${ctx.host}:${broker.port}`;
  return propertiesText({
    'process.roles': 'broker,controller',
    'node.id': broker.nodeId,
    'controller.quorum.voters': brokers.map((b) => `${b.nodeId}@${ctx.host}:${b.controllerPort}`).join(','),
    listeners: `${served},CONTROLLER://${ctx.host}:${broker.controllerPort}`,
    'advertised.listeners': served,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': broker.dataDir,
    'num.partitions': 1,
    'default.replication.factor': 3,
    'min.insync.replicas': 2,
    'offsets.topic.replication.factor': 3,
    'transaction.state.log.replication.factor': 3,
    'transaction.state.log.min.isr': 2,
    'share.coordinator.state.topic.replication.factor': 3,
    'share.coordinator.state.topic.min.isr': 2,
    'group.initial.rebalance.delay.ms': 0,
    'auto.create.topics.enable': false,
    'delete.topic.enable': true,
    // Fewer internal partitions make the first consumer group start faster on 2 cores.
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.num.partitions': 10,
    'log.retention.hours': 24,
  });
}

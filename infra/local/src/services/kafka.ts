/**
 * Kafka 4.x as one KRaft node that is both broker and controller, on 127.0.0.1 only.
 *
 * The controller quorum is static (`controller.quorum.voters`), not the dynamic one that
 * `--standalone` formats: a static voter is read from server.properties at every start,
 * so moving the controller port with SLUICE_KAFKA_CONTROLLER_PORT keeps working on an
 * existing data folder. The data folder is formatted once, when meta.properties is
 * missing.
 *
 * Besides plaintext, it serves TLS on SLUICE_KAFKA_TLS_PORT (19094) and mutual TLS (a client
 * certificate required) on SLUICE_KAFKA_MTLS_PORT (19095), with a CA of its own in
 * `<kafka dir>/tls/` (see service-tls.ts), so the apps' Kafka TLS settings can be tested.
 *
 * Topics are not created on first use: Sluice provisions its topics, and tests ask for
 * theirs with `createTopic` from @sluice/testing. Replication factors are 1 and the first
 * consumer-group rebalance is not delayed, so tests get their assignment at once.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  KAFKA_CONTROLLER_PORT_ENV,
  KAFKA_MTLS_PORT_ENV,
  KAFKA_TLS_PORT_ENV,
  LOCAL_DEFAULTS,
} from '@sluice/config';
import { portFromEnv } from '@sluice/testing';
import { ensureServiceTls } from '../service-tls.ts';
import type { ServiceContext, ServiceDriver } from '../service-driver.ts';
import {
  DEFAULT_KAFKA_HEAP,
  formatStorage,
  isFormatted,
  kafkaArgs,
  kafkaRuntime,
  newClusterId,
  propertiesText,
} from './kafka-runtime.ts';

export const kafka: ServiceDriver = {
  name: 'kafka',
  aptPackages: [],
  startTimeoutMs: 90_000,
  async prepare(ctx) {
    const runtime = await kafkaRuntime(ctx);
    const properties = join(ctx.paths.dir, 'server.properties');
    mkdirSync(ctx.paths.dataDir, { recursive: true });
    const tls = ensureServiceTls(ctx.paths.dir, 'sluice-local-kafka');
    // Kafka takes a PEM key store as one file: the key (PKCS#8, as openssl writes it) and the chain.
    const keyStore = join(tls.dir, 'server-keystore.pem');
    writeFileSync(keyStore, `${readFileSync(tls.serverKey, 'utf8')}${readFileSync(tls.serverCert, 'utf8')}`);
    writeFileSync(properties, serverProperties(ctx, { keyStore, trustStore: tls.ca }));
    if (!isFormatted(ctx.paths.dataDir)) {
      ctx.say('kafka: formatting its data folder (KRaft)');
      await formatStorage(runtime, { properties, clusterId: newClusterId(), logFile: ctx.paths.logFile });
    }
    const heap = ctx.env.SLUICE_KAFKA_HEAP || DEFAULT_KAFKA_HEAP;
    return {
      command: runtime.java,
      args: kafkaArgs(runtime, { heap, logsDir: join(ctx.paths.dir, 'logs'), properties }),
    };
  },
};

/** The controller listener's port: the catalogue's, moved by SLUICE_KAFKA_CONTROLLER_PORT. */
export function kafkaControllerPort(env: NodeJS.ProcessEnv): number {
  return portFromEnv(env, KAFKA_CONTROLLER_PORT_ENV, LOCAL_DEFAULTS.kafkaControllerPort);
}

/** The TLS listeners' ports: `tls` (server certificate only) and `mtls` (client certificate required). */
export function kafkaTlsPorts(env: NodeJS.ProcessEnv): { readonly tls: number; readonly mtls: number } {
  return {
    tls: portFromEnv(env, KAFKA_TLS_PORT_ENV, LOCAL_DEFAULTS.kafkaTlsPort),
    mtls: portFromEnv(env, KAFKA_MTLS_PORT_ENV, LOCAL_DEFAULTS.kafkaMtlsPort),
  };
}

function serverProperties(ctx: ServiceContext, tls: { keyStore: string; trustStore: string }): string {
  const controllerPort = kafkaControllerPort(ctx.env);
  const tlsPorts = kafkaTlsPorts(ctx.env);
  const served = `PLAINTEXT://${ctx.host}:${ctx.port},TLS://${ctx.host}:${tlsPorts.tls},MTLS://${ctx.host}:${tlsPorts.mtls}`;
  const settings: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@${ctx.host}:${controllerPort}`,
    listeners: `${served},CONTROLLER://${ctx.host}:${controllerPort}`,
    'advertised.listeners': served,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,TLS:SSL,MTLS:SSL',
    'ssl.keystore.type': 'PEM',
    'ssl.keystore.location': tls.keyStore,
    'ssl.truststore.type': 'PEM',
    'ssl.truststore.location': tls.trustStore,
    'ssl.client.auth': 'none',
    'listener.name.mtls.ssl.client.auth': 'required',
    'log.dirs': ctx.paths.dataDir,
    'num.partitions': 1,
    'default.replication.factor': 1,
    'min.insync.replicas': 1,
    'offsets.topic.replication.factor': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
    'auto.create.topics.enable': false,
    'delete.topic.enable': true,
    // Fewer internal partitions make the first consumer group start faster on 2 cores.
    'offsets.topic.num.partitions': 10,
    'transaction.state.log.num.partitions': 10,
    'log.retention.hours': 24,
  };
  return propertiesText(settings);
}

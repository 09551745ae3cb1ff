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
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  KAFKA_CONTROLLER_PORT_ENV,
  KAFKA_MTLS_PORT_ENV,
  KAFKA_TLS_PORT_ENV,
  LOCAL_DEFAULTS,
} from '@sluice/config';
import { portFromEnv } from '@sluice/testing';
import { findJava } from '../java.ts';
import { runCommand } from '../run-command.ts';
import { ensureServiceTls } from '../service-tls.ts';
import type { ServiceContext, ServiceDriver } from '../service-driver.ts';
import { JAVA_MAJOR, VERSIONS } from '../versions.ts';

/** JVM heap; `SLUICE_KAFKA_HEAP` changes it (JVM units: 512m, 1g). */
const DEFAULT_HEAP = '512m';

export const kafka: ServiceDriver = {
  name: 'kafka',
  aptPackages: [],
  startTimeoutMs: 90_000,
  async prepare(ctx) {
    const java = findJava(JAVA_MAJOR.kafka, `Kafka ${VERSIONS.kafka}`, ctx.env);
    const tool = await ctx.installers.kafka();
    const properties = join(ctx.paths.dir, 'server.properties');
    mkdirSync(ctx.paths.dataDir, { recursive: true });
    const tls = ensureServiceTls(ctx.paths.dir, 'sluice-local-kafka');
    // Kafka takes a PEM key store as one file: the key (PKCS#8, as openssl writes it) and the chain.
    const keyStore = join(tls.dir, 'server-keystore.pem');
    writeFileSync(keyStore, `${readFileSync(tls.serverKey, 'utf8')}${readFileSync(tls.serverCert, 'utf8')}`);
    writeFileSync(properties, serverProperties(ctx, { keyStore, trustStore: tls.ca }));
    const classpath = `${join(tool, 'libs')}/*`;
    if (!existsSync(join(ctx.paths.dataDir, 'meta.properties'))) {
      ctx.say('kafka: formatting its data folder (KRaft)');
      await runCommand(
        java.java,
        [
          `-Dlog4j2.configurationFile=${join(tool, 'config', 'log4j2-tools.properties')}`,
          '-cp',
          classpath,
          'kafka.tools.StorageTool',
          'format',
          '--cluster-id',
          clusterId(),
          '--config',
          properties,
          '--ignore-formatted',
        ],
        { logFile: ctx.paths.logFile },
      );
    }
    const heap = ctx.env.SLUICE_KAFKA_HEAP || DEFAULT_HEAP;
    return {
      command: java.java,
      args: [
        `-Xms${heap}`,
        `-Xmx${heap}`,
        '-XX:+UseG1GC',
        '-XX:MaxGCPauseMillis=20',
        '-XX:+ExitOnOutOfMemoryError',
        '-Djava.awt.headless=true',
        `-Dlog4j2.configurationFile=${join(tool, 'config', 'log4j2.properties')}`,
        `-Dkafka.logs.dir=${join(ctx.paths.dir, 'logs')}`,
        '-cp',
        classpath,
        'kafka.Kafka',
        properties,
      ],
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
  const lines = Object.entries(settings).map(([key, value]) => `${key}=${String(value)}`);
  return `# Generated by infra/local at every start; edits are overwritten.\n${lines.join('\n')}\n`;
}

// A Kafka cluster id is a UUID's 16 bytes in URL-safe base64 without padding.
function clusterId(): string {
  return randomBytes(16).toString('base64url');
}

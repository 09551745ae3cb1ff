/**
 * The ports a service will listen on, checked before it starts: a port some other program
 * holds would make the service fail later with a less helpful message, or worse, make its
 * health probe talk to that other program.
 */
import { connect } from 'node:net';
import {
  JAEGER_OTLP_PORT_ENV,
  KAFKA_CONTROLLER_PORT_ENV,
  KAFKA_MTLS_PORT_ENV,
  KAFKA_TLS_PORT_ENV,
  SERVICES,
} from '@sluice/config';
import { clusterPorts } from './cluster.ts';
import type { ServiceContext } from './service-driver.ts';
import { jaegerOtlpPort } from './services/jaeger.ts';
import { kafkaControllerPort, kafkaTlsPorts } from './services/kafka.ts';

/** Every port the service listens on, each with the variable that moves it. */
export function servicePorts(ctx: ServiceContext): { port: number; variable: string }[] {
  const ports = [{ port: ctx.port, variable: SERVICES[ctx.name].portEnv }];
  if (ctx.name === 'kafka') {
    const tls = kafkaTlsPorts(ctx.env);
    ports.push(
      { port: kafkaControllerPort(ctx.env), variable: KAFKA_CONTROLLER_PORT_ENV },
      { port: tls.tls, variable: KAFKA_TLS_PORT_ENV },
      { port: tls.mtls, variable: KAFKA_MTLS_PORT_ENV },
    );
  }
  if (ctx.name === 'jaeger') ports.push({ port: jaegerOtlpPort(ctx.env), variable: JAEGER_OTLP_PORT_ENV });
  ports.push(...clusterPorts(ctx.name, ctx.env));
  return ports;
}

/** Throws, naming the port and the variable that moves it, when something answers on one. */
export async function assertPortsFree(ctx: ServiceContext): Promise<void> {
  for (const { port, variable } of servicePorts(ctx)) {
    if (await portAnswers(ctx.host, port)) {
      throw new Error(
        `${ctx.name}: port ${port} on ${ctx.host} is taken by a process that is not a healthy ` +
          `${SERVICES[ctx.name].title}: stop it, or move ${ctx.name} with ${variable}=<another port>`,
      );
    }
  }
}

function portAnswers(host: string, port: number): Promise<boolean> {
  return new Promise((resolvePort) => {
    const socket = connect({ host, port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolvePort(true);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolvePort(false);
    });
    socket.once('error', () => resolvePort(false));
  });
}

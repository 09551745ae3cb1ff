import type { FastifyInstance } from 'fastify';
import { collectDefaultMetrics, Registry } from 'prom-client';

/** Where an HTTP server listens. */
export interface ListenOptions {
  readonly host: string;
  readonly port: number;
}

/** Wraps a built server as a lifecycle component: `start` listens, `close` drains and stops. */
export function httpComponent(app: FastifyInstance, listen: ListenOptions) {
  return {
    name: 'http',
    start: async (): Promise<void> => {
      await app.listen({ host: listen.host, port: listen.port });
    },
    close: (): Promise<void> => app.close(),
  };
}

/**
 * A fresh registry with Node's process metrics under their standard names (`process_*`,
 * `nodejs_*`, as prom-client's defaults and stock Node dashboards expect) and an `app`
 * label, so one Prometheus query can compare the four apps.
 */
export function createMetricsRegistry(app: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ app });
  collectDefaultMetrics({ register: registry });
  return registry;
}

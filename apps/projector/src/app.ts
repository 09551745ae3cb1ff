import { buildHttpServer } from '@sluice/http';
import type { Logger } from '@sluice/logging';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

/** What projector needs from outside; main.ts builds these, tests pass their own. */
export interface AppDeps {
  readonly logger: Logger;
  readonly registry: Registry;
}

/** The projector wired from its dependencies, without sockets. */
export interface App {
  readonly http: FastifyInstance;
}

export function buildApp(deps: AppDeps): App {
  return { http: buildHttpServer({ logger: deps.logger, registry: deps.registry }) };
}

import { buildHttpServer, type ReadinessCheck } from '@sluice/http';
import type { Logger } from '@sluice/logging';
import type { UploadReader } from '@sluice/projection';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { uploadRoutes } from './routes.ts';

/** What projector needs from outside; main.ts builds these, tests pass their own. */
export interface AppDeps {
  readonly logger: Logger;
  readonly registry: Registry;
  /** The read side the status API answers from. */
  readonly queries: UploadReader;
  /** What `/readyz` checks (MySQL, the projection loop). @default [] */
  readonly readiness?: readonly ReadinessCheck[];
}

/** The projector wired from its dependencies, without sockets. */
export interface App {
  readonly http: FastifyInstance;
}

export function buildApp(deps: AppDeps): App {
  const http = buildHttpServer({
    logger: deps.logger,
    registry: deps.registry,
    readiness: deps.readiness ?? [],
  });
  uploadRoutes(http, deps.queries);
  return { http };
}

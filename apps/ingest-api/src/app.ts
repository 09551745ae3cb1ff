import { Server } from '@grpc/grpc-js';
import { buildHttpServer } from '@sluice/http';
import type { Logger } from '@sluice/logging';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

/** What ingest-api needs from outside; main.ts builds these, tests pass their own. */
export interface AppDeps {
  readonly logger: Logger;
  readonly registry: Registry;
}

/** ingest-api wired from its dependencies, without sockets. */
export interface App {
  readonly http: FastifyInstance;
  readonly grpc: Server;
}

export function buildApp(deps: AppDeps): App {
  return {
    http: buildHttpServer({ logger: deps.logger, registry: deps.registry }),
    // 16 MiB chunks plus framing fit in one unary message; bigger ones use UploadChunkStream.
    grpc: new Server({ 'grpc.max_receive_message_length': 17 * 1024 * 1024 }),
  };
}

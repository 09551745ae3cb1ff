import { Server } from '@grpc/grpc-js';
import type { ChecksumPool } from '@sluice/checksums';
import { buildHttpServer, type ReadinessCheck } from '@sluice/http';
import type { Logger } from '@sluice/logging';
import {
  DEFAULT_RECEIVE_WINDOWS,
  IntakeServiceZeroCopyService,
  widenReceiveWindows,
  type ReceiveWindows,
} from '@sluice/proto';
import type { StagingStore } from '@sluice/staging';
import type { Tenants } from '@sluice/tenants';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { ChunkIntake } from './chunk-intake.ts';
import { intakeHandlers } from './grpc-service.ts';
import type { IngestLimits } from './limits.ts';
import { ingestMetrics } from './metrics.ts';
import { addReflection, ServingState } from './serving.ts';
import { StatusReader, type ProjectedUploads } from './status.ts';
import { UploadLifecycle } from './upload-lifecycle.ts';
import type { DecidedOutcomes } from './decided-outcomes.ts';
import type { WatchTiming } from './upload-watch.ts';
import type { ChunkEvents } from './uploads.ts';
import { tolerantDecoding } from './request-decoding.ts';

/** What ingest-api needs from outside; main.ts builds these, tests pass their own. */
export interface AppDeps {
  readonly logger: Logger;
  readonly registry: Registry;
  readonly staging: StagingStore;
  readonly events: ChunkEvents;
  /** Where chunks are hashed (worker threads). */
  readonly checksums: ChecksumPool;
  readonly tenants: Tenants;
  readonly limits: IngestLimits;
  /** True while the Redis (cluster master) holding the upload is above its high watermark. */
  readonly stagingFull: (uploadId: string) => boolean;
  /** The projector's view of uploads, for status after staging and for ListUploads. */
  readonly projected?: ProjectedUploads;
  /** The outcomes the assembler announced, for status before the projection has them. */
  readonly outcomes?: DecidedOutcomes;
  readonly readiness?: readonly ReadinessCheck[];
  readonly watch?: WatchTiming;
  /**
   * The HTTP/2 receive windows of each call and each connection: how much a client may send
   * before ingest reads it. @default {@link DEFAULT_RECEIVE_WINDOWS}
   */
  readonly receiveWindows?: ReceiveWindows;
}

/** ingest-api wired from its dependencies, without sockets. */
export interface App {
  readonly http: FastifyInstance;
  readonly grpc: Server;
  /** gRPC health following readiness, and the drain that ends it. */
  readonly serving: ServingState;
}

export function buildApp(deps: AppDeps): App {
  const metrics = ingestMetrics(deps.registry);
  const readiness = deps.readiness ?? [];
  const serving = new ServingState({ readiness });
  const grpc = new Server({
    // Room above the unary limit, so an oversized chunk gets Sluice's message naming
    // UploadChunkStream rather than the transport's generic refusal.
    'grpc.max_receive_message_length': deps.limits.maxUnaryChunkBytes * 4 + 1024 * 1024,
  });
  grpc.addService(
    tolerantDecoding(IntakeServiceZeroCopyService),
    intakeHandlers({
      chunks: new ChunkIntake({ ...deps, metrics }),
      lifecycle: new UploadLifecycle(deps),
      status: new StatusReader(deps.staging, deps.projected, deps.outcomes),
      tenants: deps.tenants,
      limits: deps.limits,
      metrics,
      logger: deps.logger,
      ...(deps.watch === undefined ? {} : { watch: deps.watch }),
      drainSignal: serving.drainSignal,
    }),
  );
  widenReceiveWindows(grpc, deps.receiveWindows ?? DEFAULT_RECEIVE_WINDOWS);
  serving.addToServer(grpc);
  addReflection(grpc);
  return {
    http: buildHttpServer({
      logger: deps.logger,
      registry: deps.registry,
      readiness: [...readiness, serving.readinessCheck],
    }),
    grpc,
    serving,
  };
}

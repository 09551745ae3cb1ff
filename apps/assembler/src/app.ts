import { PartStateStore } from '@sluice/part-writer-core';
import {
  Assembler,
  AssemblyStore,
  ExpirySweeper,
  Lease,
  OutcomePublisher,
  assemblerMetrics,
  type AssemblerHooks,
  type QuarantinePolicy,
} from '@sluice/assembler-core';
import { buildHttpServer, type ReadinessCheck } from '@sluice/http';
import type { Logger } from '@sluice/logging';
import type { EventBackbone } from '@sluice/kafka';
import type { Component } from '@sluice/startup';
import { RedisStaging, type RedisClient } from '@sluice/staging';
import type { ObjectStores } from '@sluice/storage';
import type { StreamProcessor } from '@sluice/kafka';
import type { PartEvent } from '@sluice/proto';
import type { Tenants } from '@sluice/tenants';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

/** How the assembler behaves; main.ts fills it from SLUICE_ASSEMBLER_*. */
export interface AssemblerSettings {
  /** Consumer group of `intake.parts`. @default 'sluice-assembler' */
  readonly groupId?: string;
  /** Records handled at once. @default 8 */
  readonly concurrency?: number;
  /** Attempts at a record before it is dead-lettered. @default 10 */
  readonly maxAttempts?: number;
  /** @default 24 h */
  readonly idleTimeoutMs?: number;
  /** @default 5 min */
  readonly expiryIntervalMs?: number;
  /** @default { mode: 'delete', prefix: 'sluice-quarantine/' } */
  readonly quarantine?: QuarantinePolicy;
  /** @default 7 days */
  readonly outcomeTtlMs?: number;
  /** Staging TTL, as ingest-api uses it. @default 48 h */
  readonly stagingTtlMs?: number;
}

/** What the assembler needs from outside; main.ts builds these, tests pass their own. */
export interface AppDeps {
  readonly logger: Logger;
  readonly registry: Registry;
  readonly backbone: EventBackbone;
  readonly redis: RedisClient;
  /** Namespace of the staging keys. @default 'sluice' */
  readonly namespace?: string;
  readonly tenants: Tenants;
  /** The object store of each drive. */
  readonly objects: ObjectStores;
  readonly settings?: AssemblerSettings;
  readonly hooks?: AssemblerHooks;
  readonly now?: () => number;
}

/** The assembler wired from its dependencies, without sockets. */
export interface App {
  readonly http: FastifyInstance;
  readonly assembler: Assembler;
  readonly sweeper: ExpirySweeper;
  readonly processor: StreamProcessor<PartEvent>;
  readonly store: AssemblyStore;
  readonly staging: RedisStaging;
  /** Consumer and sweeper, in start order (close in reverse). */
  readonly components: readonly Component[];
}

export function buildApp(deps: AppDeps): App {
  const settings = deps.settings ?? {};
  const logger = deps.logger;
  const metrics = assemblerMetrics(deps.registry);
  const staging = new RedisStaging({
    redis: deps.redis,
    namespace: deps.namespace ?? 'sluice',
    ...(settings.stagingTtlMs === undefined ? {} : { ttlMs: settings.stagingTtlMs }),
  });
  const store = new AssemblyStore({
    staging,
    partWriter: new PartStateStore({ redis: deps.redis, stagingKeys: staging.keys }),
    ...(settings.outcomeTtlMs === undefined ? {} : { outcomeTtlMs: settings.outcomeTtlMs }),
  });
  const access = { tenants: deps.tenants, objects: deps.objects };
  const publisher = new OutcomePublisher({
    ...access,
    store,
    staging,
    events: deps.backbone.producer('intake.uploads'),
    logger,
    metrics,
  });
  const codec = deps.backbone.codecs['intake.parts'];
  const assembler = new Assembler({
    ...access,
    store,
    publisher,
    logger,
    metrics,
    decode: (value) => codec.decode(value),
    ...(settings.quarantine ? { quarantine: settings.quarantine } : {}),
    ...(deps.hooks ? { hooks: deps.hooks } : {}),
    ...(deps.now ? { now: deps.now } : {}),
  });
  const intervalMs = settings.expiryIntervalMs ?? 5 * 60_000;
  const sweeper = new ExpirySweeper({
    ...access,
    staging,
    store,
    publisher,
    // Held while its instance lives (each sweep renews it); a dead holder's lease lapses after two intervals.
    lease: new Lease({
      redis: deps.redis,
      key: staging.keys.expiryLease(),
      ttlMs: 2 * intervalMs,
    }),
    intervalMs,
    ...(settings.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: settings.idleTimeoutMs }),
    logger,
    metrics,
    ...(deps.now ? { now: deps.now } : {}),
  });
  const processor = deps.backbone.processor('intake.parts', {
    name: 'assembler',
    groupId: settings.groupId ?? 'sluice-assembler',
    handle: assembler.handle,
    onDeadLetter: assembler.onDeadLetter,
    concurrency: settings.concurrency ?? 8,
    // The `record` retry policy (libs/retry), with the attempts the operator set.
    ...(settings.maxAttempts === undefined ? {} : { backoff: { maxAttempts: settings.maxAttempts } }),
  });
  const readiness: ReadinessCheck[] = [{ name: 'redis', probe: async () => void (await deps.redis.ping()) }];
  return {
    http: buildHttpServer({ logger, registry: deps.registry, readiness }),
    assembler,
    sweeper,
    processor,
    store,
    staging,
    components: [
      { name: 'assembler', start: () => processor.start(), close: () => processor.close() },
      { name: 'expiry', start: () => sweeper.start(), close: () => sweeper.close() },
    ],
  };
}

import { buildHttpServer } from '@sluice/http';
import type { Logger } from '@sluice/logging';
import {
  PartWriter,
  type PartEventSink,
  type PartStateStore,
  type ResolvedDrive,
} from '@sluice/part-writer-core';
import type { EventBackbone } from '@sluice/kafka';
import type { ChunkEvent } from '@sluice/proto';
import type { Component } from '@sluice/startup';
import type { RedisStaging, RedisClient } from '@sluice/staging';
import type { StreamProcessor } from '@sluice/kafka';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

/** The consumer group of every part-writer process. */
export const PART_WRITER_GROUP = 'sluice-part-writer';

/** What part-writer needs from outside; main.ts builds these, tests pass their own. */
export interface AppDeps {
  readonly logger: Logger;
  readonly registry: Registry;
  readonly redis: RedisClient;
  readonly staging: RedisStaging;
  readonly store: PartStateStore;
  /** The upload's drive by its tenant and name (names repeat across tenants). */
  readonly drive: (tenant: string, name: string) => ResolvedDrive | undefined;
  readonly backbone: Pick<EventBackbone, 'processor' | 'producer' | 'codecs'>;
  /** @default 8 */
  readonly partConcurrency?: number;
  /** @default 4 */
  readonly uploadConcurrency?: number;
  /** @default 32 MiB */
  readonly hashReorderBytes?: number;
  /** @default PART_WRITER_GROUP */
  readonly groupId?: string;
}

/** The part-writer wired from its dependencies, without sockets. */
export interface App {
  readonly http: FastifyInstance;
  readonly writer: PartWriter;
  readonly processor: StreamProcessor<ChunkEvent>;
  /** Starts and drains the processor (and the parts it has in flight). */
  readonly component: Component;
}

export function buildApp(deps: AppDeps): App {
  const events: PartEventSink = deps.backbone.producer('intake.parts');
  const writer = new PartWriter({
    staging: deps.staging,
    store: deps.store,
    drive: deps.drive,
    events,
    logger: deps.logger,
    registry: deps.registry,
    partConcurrency: deps.partConcurrency,
    uploadConcurrency: deps.uploadConcurrency,
    hashReorderBytes: deps.hashReorderBytes,
  });
  const codec = deps.backbone.codecs['intake.chunks'];
  const processor = deps.backbone.processor('intake.chunks', {
    name: 'part-writer',
    groupId: deps.groupId ?? PART_WRITER_GROUP,
    // Handlers only record facts and start part writes; the writes are bounded by the writer.
    concurrency: 16,
    maxBuffered: 256,
    // Records retry by RETRY_POLICIES.record (the processor's default): S3 or Redis outages of a
    // couple of minutes are ridden out before an upload is failed.
    handle: (record, signal) => writer.handle(record.value, signal),
    onDeadLetter: async (letter) => {
      const event = await codec.decode(letter.value ?? Buffer.alloc(0)).catch(() => undefined);
      if (event) await writer.deadLettered(event, letter.error);
    },
  });
  let running = false;
  const http = buildHttpServer({
    logger: deps.logger,
    registry: deps.registry,
    readiness: [
      { name: 'redis', probe: async () => void (await deps.redis.ping()) },
      {
        name: 'processor',
        probe: () =>
          running
            ? Promise.resolve()
            : Promise.reject(new Error('the intake.chunks processor is not running')),
      },
    ],
  });
  return {
    http,
    writer,
    processor,
    component: {
      name: 'part-writer',
      start: async () => {
        await processor.start();
        running = true;
      },
      close: async () => {
        running = false;
        await processor.close();
        await writer.close();
      },
    },
  };
}

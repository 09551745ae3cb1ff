/**
 * What the part-writer tests share: a test's own Kafka topics, Redis namespace and bucket; a
 * log of everything on `intake.parts`; and the assembler's last step (completing the multipart
 * upload) so a test can download the object. The stand-in for ingest is `simulated-upload.ts`.
 *
 * The test drive is set as for S3 (versitygw); the S3 matrix, which runs these tests against
 * moto too, hands over what the probe found there (`S3_STORE_REPORT_ENV`), and the drive's
 * checksum mode follows it ({@link testChecksumMode}).
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestContext } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  GetObjectCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createLogger, type Logger } from '@sluice/logging';
import { PartStateStore } from '@sluice/part-writer-core';
import { S3ObjectStore, checksumFields, checksumModeOn, parseStoreReport } from '@sluice/storage';
import { EventBackbone } from '@sluice/kafka';
import type { ChecksumMode, PartEvent } from '@sluice/proto';
import { EVENT_TOPICS } from '@sluice/schema-registry';
import { RedisStaging } from '@sluice/staging';
import {
  S3_STORE_REPORT_ENV,
  createBucket,
  createRedisPrefix,
  kafkaAdmin,
  kafkaBrokers,
  redisMemoryInfo,
  requireServices,
  s3Client,
  serviceUrl,
  uniqueName,
} from '@sluice/testing';
import type { RedisClient } from '@sluice/redis';
import { Registry } from 'prom-client';
import { buildApp, type App } from '../src/app.ts';
import type { SimulatedUpload } from './simulated-upload.ts';

export const MiB = 1024 * 1024;
export const silent: Logger = createLogger({ service: 'part-writer-test', level: 'silent' });

/** The probe's findings on the store under test, when the S3 matrix gives them. */
const storeReport = parseStoreReport(process.env[S3_STORE_REPORT_ENV]);

/**
 * The checksum mode of a test drive or upload that asks for `wanted`: `wanted`, unless the store
 * keeps no full-object checksum of that algorithm; then the mode Sluice recommends for the store
 * (moto: `none`).
 */
export function testChecksumMode(wanted: ChecksumMode): ChecksumMode {
  return checksumModeOn(storeReport, wanted);
}

/** Polls `check` until it holds, failing with `what` after `ms`. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 30_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(50);
  }
}

type PartBody = NonNullable<PartEvent['event']>;
type PartCase = PartBody['$case'];
type PartValue<C extends PartCase> = Extract<PartBody, { $case: C }>['value'];

/** Everything seen on `intake.parts`, in arrival order. */
export class PartsLog {
  readonly events: PartEvent[] = [];

  of(uploadId: string): PartEvent[] {
    return this.events.filter((e) => e.uploadId === uploadId);
  }

  find<C extends PartCase>(uploadId: string, $case: C): PartValue<C> | undefined {
    const found = this.of(uploadId).find((e) => e.event?.$case === $case);
    return found?.event?.value as unknown as PartValue<C> | undefined;
  }

  async waitFor(uploadId: string, $case: PartCase, ms = 45_000): Promise<void> {
    await until(`${$case} of ${uploadId}`, () => this.find(uploadId, $case) !== undefined, ms);
  }

  /** Every PartStored of the upload. */
  partsStored(uploadId: string) {
    return this.of(uploadId).flatMap((e) => (e.event?.$case === 'partStored' ? [e.event.value] : []));
  }
}

/** One test's services. */
export interface Harness {
  readonly topicPrefix: string;
  readonly namespace: string;
  readonly redis: RedisClient;
  readonly staging: RedisStaging;
  readonly store: PartStateStore;
  readonly bucket: string;
  readonly s3: S3Client;
  readonly backbone: EventBackbone;
  readonly parts: PartsLog;
}

/** Connects a test to its own topics (2 partitions), Redis namespace and bucket. */
export async function harness(t: TestContext): Promise<Harness> {
  await requireServices(['kafka', 'apicurio', 'redis', 's3']);
  const topicPrefix = `${uniqueName('pw')}.`;
  t.after(async () => {
    const admin = kafkaAdmin();
    const topics = EVENT_TOPICS.flatMap((x) => [`${topicPrefix}${x}`, `${topicPrefix}${x}.dlq`]);
    await admin.deleteTopics({ topics }).finally(() => admin.close());
  });
  const { redis, prefix } = createRedisPrefix(t);
  const namespace = prefix.slice(0, -1);
  const staging = new RedisStaging({ redis, namespace, ttlMs: 600_000 });
  const store = new PartStateStore({ redis, stagingKeys: staging.keys, ttlMs: 600_000 });
  const { bucket, client } = await createBucket(t, { prefix: 'pw' });
  const backbone = await EventBackbone.connect({
    brokers: kafkaBrokers(),
    registryUrl: serviceUrl('apicurio'),
    topicPrefix,
    partitions: 2,
    clientId: 'part-writer-test',
    logger: silent,
    metrics: new Registry(),
  });
  t.after(() => backbone.close());
  const parts = new PartsLog();
  const collector = backbone.processor('intake.parts', {
    name: 'test-collector',
    groupId: uniqueName('pw-collector'),
    ordering: 'none',
    handle: (record) => {
      parts.events.push(record.value);
      return Promise.resolve();
    },
  });
  await collector.start();
  return { topicPrefix, namespace, redis, staging, store, bucket, s3: client, backbone, parts };
}

/** Fails early, with the numbers, when the shared Redis has less than `bytes` of room left. */
export async function requireRedisRoom(h: Harness, bytes: number): Promise<void> {
  const { used, max } = await redisMemoryInfo(h.redis);
  if (max > 0 && max - used < bytes * 1.2) {
    throw new Error(
      `Redis has ${Math.round((max - used) / MiB)} MiB free of ${Math.round(max / MiB)} MiB; this test stages up to ` +
        `${Math.round(bytes / MiB)} MiB: wait for other work on this Redis to end, or raise SLUICE_REDIS_MAXMEMORY`,
    );
  }
}

/** A client for the test drive, as S3Clients would build it for a drive with WHEN_REQUIRED. */
export function driveClient(): S3Client {
  return s3Client({
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Runs the part-writer in this process on the harness's topics; it stops after the test. */
export async function startApp(
  t: TestContext,
  h: Harness,
  options: { partConcurrency?: number; uploadConcurrency?: number; registry?: Registry } = {},
): Promise<App> {
  const client = driveClient();
  const objects = new S3ObjectStore(client);
  const app = buildApp({
    logger: silent,
    registry: options.registry ?? new Registry(),
    redis: h.redis,
    staging: h.staging,
    store: h.store,
    drive: (tenant, name) =>
      tenant === 't' && (name === 'd' || name === 'd-none' || name === 'd-crc32c')
        ? {
            objects,
            checksumMode: testChecksumMode('crc64nvme'),
            partSizePolicy: { kind: 'fixed', partSize: 5 * MiB },
          }
        : undefined,
    backbone: h.backbone,
    groupId: uniqueName('pw-group'),
    partConcurrency: options.partConcurrency ?? 4,
    uploadConcurrency: options.uploadConcurrency ?? 2,
  });
  t.after(async () => {
    await app.component.close();
    await app.http.close();
    client.destroy();
  });
  await app.component.start();
  return app;
}

/**
 * What the assembler does with the part-writer's events: completes the multipart upload from
 * the last PartStored of each part number (a single PutObject needs nothing), then downloads
 * the object (unless told not to).
 */
export async function completeAndDownload(
  h: Harness,
  upload: SimulatedUpload,
  options: { readonly download?: boolean } = {},
): Promise<Buffer> {
  const all = h.parts.find(upload.uploadId, 'allPartsStored');
  if (!all) throw new Error(`no AllPartsStored for ${upload.uploadId}`);
  const { bucket, key, multipartUploadId } = all.location!;
  const mode = upload.meta.destination.checksumMode;
  if (multipartUploadId) {
    const latest = new Map<number, ReturnType<PartsLog['partsStored']>[number]>();
    for (const p of h.parts.partsStored(upload.uploadId)) latest.set(p.partNumber, p);
    const parts: CompletedPart[] = [...latest.values()]
      .sort((a, b) => a.partNumber - b.partNumber)
      .map((p) => ({ PartNumber: p.partNumber, ETag: `"${p.etag}"`, ...checksumFields(mode, p) }));
    await h.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: multipartUploadId,
        MultipartUpload: { Parts: parts },
        ...(mode === 'none' ? {} : { ChecksumType: 'FULL_OBJECT' as const, ...checksumFields(mode, all) }),
      }),
    );
  }
  if (options.download === false) return Buffer.alloc(0);
  const object = await h.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return Buffer.from(await object.Body!.transformToByteArray());
}

/**
 * Chunk sizes for `total` bytes: runs of 1-byte chunks, ordinary ones, and (when `maxChunk`
 * allows) some bigger than a 5 MiB part.
 */
export function randomSizes(total: number, maxChunk = 12 * MiB, random = Math.random): number[] {
  const sizes: number[] = [];
  let left = total;
  while (left > 0) {
    const pick = random();
    if (pick < 0.15) for (let i = 0; i < 20 && left > 0; i++, left--) sizes.push(1);
    else {
      const big = pick >= 0.85 && maxChunk > 5 * MiB;
      const size = Math.min(
        left,
        maxChunk,
        big ? 5 * MiB + Math.floor(random() * (maxChunk - 5 * MiB)) : 1 + Math.floor(random() * 3 * MiB),
      );
      sizes.push(size);
      left -= size;
    }
  }
  return sizes;
}

/** No part number was ever announced with two different byte ranges. */
export function assertStableRanges(h: Harness, uploadId: string): void {
  const ranges = new Map<number, string>();
  for (const p of h.parts.partsStored(uploadId)) {
    const range = `${p.byteStart}-${p.byteEnd}`;
    assert.equal(ranges.get(p.partNumber) ?? range, range, `part ${p.partNumber} of ${uploadId}`);
    ranges.set(p.partNumber, range);
  }
}

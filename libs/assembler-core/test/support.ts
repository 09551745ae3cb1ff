/**
 * Exported as `@sluice/assembler-core/testing`, for tests only (the app's tests use it too).
 * Test doubles of the assembler's neighbours: a drive on a bucket of its own, the
 * part-writer (real multipart uploads and PutObjects, and the PartEvents that announce them),
 * ingest's record of an upload in Redis, and an event sink that keeps what was produced.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { TestContext } from 'node:test';
import type { S3Client } from '@aws-sdk/client-s3';
import { crc32, crc32c, crc64nvme } from '@sluice/checksums';
import { createMetricsRegistry } from '@sluice/http';
import { createLogger } from '@sluice/logging';
import {
  checksumModeToWire,
  type PartEvent,
  type PartEvent_AllPartsStored,
  type UploadEvent,
} from '@sluice/proto';
import { MemoryPartState, PartStateStore, type PartState } from '@sluice/part-writer-core';
import { MemoryStaging, RedisStaging, type StagingStore } from '@sluice/staging';
import {
  MemoryObjectStore,
  S3Clients,
  checksumModeOn,
  driveSettings,
  formatOutcome,
  objectStoresOf,
  parseStoreReport,
  type ObjectStore,
  type ObjectStores,
} from '@sluice/storage';
import type { StreamRecord } from '@sluice/kafka';
import type { ChecksumMode } from '@sluice/proto';
import { parseTenants, type Drive, type Tenants } from '@sluice/tenants';
import {
  S3_STORE_REPORT_ENV,
  createBucket,
  createRedisPrefix,
  requireServices,
  s3Settings,
  scanKeys,
  uniqueName,
} from '@sluice/testing';
import type { RedisClient } from '@sluice/redis';
import {
  Assembler,
  AssemblyStore,
  MemoryAssemblerState,
  OutcomePublisher,
  assemblerMetrics,
  type AssemblerOptions,
  type AssemblerState,
  type AssemblerMetrics,
  type OutcomeEvents,
} from '../src/index.ts';

export const MiB = 1024 * 1024;
export const silent = createLogger({ service: 'assembler-test', level: 'silent' });

/** A drive on a bucket of the test's own, the tenants that hold it, and an S3 client as the apps build it. */
export interface TestDrive {
  readonly drive: Drive;
  readonly tenants: Tenants;
  readonly clients: S3Clients;
  readonly client: S3Client;
  /** The object stores on `clients`, as the apps build them. */
  readonly objects: ObjectStores;
  /** The drive's object store (on `client`). */
  readonly store: ObjectStore;
  readonly bucket: string;
  /** The tenants file's text, for processes started by the test. */
  readonly tenantsJson: string;
  /** The variables the tenants file names. */
  readonly tenantsEnv: Record<string, string>;
}

/**
 * What the probe found on the store under test, when the S3 matrix runs these tests against a
 * store other than versitygw (`S3_STORE_REPORT_ENV`); undefined otherwise.
 */
export const storeReport = parseStoreReport(process.env[S3_STORE_REPORT_ENV]);

/**
 * Why a test that needs the store to check full-object checksums cannot run on this one, or
 * undefined when it can.
 */
export function noChecksumCheck(): string | undefined {
  const found = storeReport?.results.crc64nvmeVerified;
  return found === undefined || found.kind === 'supported'
    ? undefined
    : `${storeReport?.store} does not check full-object checksums (${formatOutcome(found)}): its drives use checksumMode ${driveSettings(storeReport!).checksumMode}`;
}

export async function testDrive(
  t: TestContext,
  options: {
    readonly checksumMode?: ChecksumMode;
    readonly keyTemplate?: string;
    readonly readBack?: boolean;
  } = {},
): Promise<TestDrive> {
  await requireServices(['s3']);
  const { bucket } = await createBucket(t, { prefix: 'asm' });
  const s = s3Settings();
  const tenantsEnv = { TEST_S3_KEY: s.accessKeyId, TEST_S3_SECRET: s.secretAccessKey };
  const name = uniqueName('drive');
  const tenantsJson = JSON.stringify({
    tenants: [
      {
        name: 'tenant-a',
        apiKeys: [{ key: randomUUID() }],
        drives: [
          {
            name,
            endpoint: s.endpoint,
            region: s.region,
            bucket,
            checksumMode: checksumModeOn(storeReport, options.checksumMode ?? 'crc64nvme'),
            ...(options.keyTemplate ? { keyTemplate: options.keyTemplate } : {}),
            ...(options.readBack === undefined ? {} : { readBack: options.readBack }),
            credentials: { accessKeyIdEnv: 'TEST_S3_KEY', secretAccessKeyEnv: 'TEST_S3_SECRET' },
          },
        ],
      },
    ],
  });
  const tenants = parseTenants(tenantsJson, { env: tenantsEnv, readFile: () => '' });
  const drive = tenants.driveOf('tenant-a', name)!;
  const clients = new S3Clients();
  t.after(() => clients.close());
  const objects = objectStoresOf(clients);
  return {
    drive,
    tenants,
    clients,
    client: clients.for(drive),
    objects,
    store: objects.for(drive),
    bucket,
    tenantsJson,
    tenantsEnv,
  };
}

/** A drive on an in-memory object store with one bucket, for the assembler's unit tests. */
export function memoryDrive(checksumMode: ChecksumMode = 'crc64nvme'): Pick<
  TestDrive,
  'drive' | 'tenants' | 'objects' | 'store' | 'bucket'
> & {
  readonly store: MemoryObjectStore;
} {
  const bucket = 'files';
  const tenants = parseTenants(
    JSON.stringify({
      tenants: [
        {
          name: 'tenant-a',
          apiKeys: [{ key: 'k' }],
          drives: [
            {
              name: 'memory',
              endpoint: 'http://127.0.0.1:1',
              region: 'us-east-1',
              bucket,
              checksumMode,
              credentials: { accessKeyIdEnv: 'TEST_KEY', secretAccessKeyEnv: 'TEST_SECRET' },
            },
          ],
        },
      ],
    }),
    { env: { TEST_KEY: 'k', TEST_SECRET: 's' }, readFile: () => '' },
  );
  const store = new MemoryObjectStore();
  store.createBucket(bucket);
  return {
    drive: tenants.driveOf('tenant-a', 'memory')!,
    tenants,
    objects: { for: () => store },
    store,
    bucket,
  };
}

/** Staging, the part-writer's state and the assembler's, all in memory. */
export function memoryState(): {
  readonly staging: MemoryStaging;
  readonly partWriter: MemoryPartState;
  readonly store: MemoryAssemblerState;
} {
  const staging = new MemoryStaging();
  const partWriter = new MemoryPartState();
  return { staging, partWriter, store: new MemoryAssemblerState({ staging, partWriter }) };
}

/** Redis with a namespace of the test's own, staging and the assembler's store on it. */
export interface TestRedis {
  readonly redis: RedisClient;
  readonly namespace: string;
  /** The part-writer's state, which the store asks for multipart uploads. */
  readonly partWriter: PartStateStore;
  readonly staging: RedisStaging;
  readonly store: AssemblyStore;
}

export async function testRedis(t: TestContext): Promise<TestRedis> {
  await requireServices(['redis']);
  const { prefix, redis } = createRedisPrefix(t, { prefix: 'asm' });
  const namespace = prefix.slice(0, -1);
  const staging = new RedisStaging({ redis, namespace });
  const partWriter = new PartStateStore({ redis, stagingKeys: staging.keys });
  return { redis, namespace, staging, partWriter, store: new AssemblyStore({ staging, partWriter }) };
}

/** Every key of the upload left in Redis (ingest's, the part-writer's, the assembler's). */
export async function uploadKeys(r: TestRedis, uploadId: string): Promise<string[]> {
  return scanKeys(r.redis, r.staging.keys.uploadPattern(uploadId));
}

/** Events produced, in order. */
export class EventSink implements OutcomeEvents {
  readonly events: UploadEvent[] = [];
  /** Every event handed to `produce`, including the ones refused. */
  readonly attempts: UploadEvent[] = [];
  failNext = 0;
  produce(event: UploadEvent): Promise<unknown> {
    this.attempts.push(event);
    if (this.failNext > 0) {
      this.failNext--;
      return Promise.reject(new Error('simulated Kafka outage'));
    }
    this.events.push(event);
    return Promise.resolve();
  }
}

/** An upload as ingest created it, with one staged chunk so its bytes can be seen to go. */
export async function stageUpload(
  r: { readonly staging: StagingStore },
  d: Pick<TestDrive, 'drive' | 'bucket'>,
  options: { readonly key: string; readonly updatedAt?: number; readonly uploadId?: string },
): Promise<{ uploadId: string; nodeId: string }> {
  const uploadId = options.uploadId ?? randomUUID();
  const nodeId = randomUUID();
  const now = options.updatedAt ?? Date.now();
  await r.staging.createUpload(
    {
      uploadId,
      tenant: d.drive.tenant,
      drive: d.drive.name,
      nodeId,
      filename: 'file.bin',
      mimeType: 'application/octet-stream',
      metadata: {},
      sizeHint: 0,
      fixedChunkSize: 0,
      clientRequestId: '',
      traceparent: '',
      destination: {
        endpoint: d.drive.endpoint,
        region: d.drive.region,
        bucket: d.bucket,
        key: options.key,
        checksumMode: d.drive.checksumMode,
        partSizePolicy: { kind: 'fixed', partSize: 5 * MiB },
      },
    },
    now,
  );
  // A staged chunk as ingest leaves it: its segment, and the record that names it.
  const write = r.staging.openChunkWrite(uploadId, 0);
  await write.write(randomBytes(1024));
  const segments = await write.staged();
  await r.staging.commitChunk(
    uploadId,
    {
      chunk: 0,
      size: 1024,
      sha256: '00'.repeat(32),
      crc64nvme: '0',
      crc32c: 0,
      crc32: 0,
      writeId: write.writeId,
      generation: 0,
      segmentSize: segments.segmentSize,
      segmentCount: segments.segmentCount,
      emitted: true,
    },
    '',
    now,
  );
  return { uploadId, nodeId };
}

/**
 * The part-writer's state after it created a multipart upload and before its first PartStored,
 * written through its own store, as the part-writer writes it.
 */
export async function partWriterCreated(
  r: { readonly partWriter: Pick<PartState, 'saveInit' | 'claimMultipart'> },
  uploadId: string,
  target: { readonly bucket: string; readonly key: string },
  multipartUploadId: string,
): Promise<void> {
  await r.partWriter.saveInit(uploadId, {
    tenant: 't',
    drive: 'd',
    nodeId: 'n',
    bucket: target.bucket,
    key: target.key,
    checksumMode: 'none',
    policy: { kind: 'fixed', partSize: 5 * MiB },
    fixedChunkSize: 0,
    filename: '',
    mimeType: '',
    metadata: {},
  });
  await r.partWriter.claimMultipart(uploadId, multipartUploadId);
}

/** What the part-writer did for one file, and the events it announced it with. */
export interface WrittenFile {
  readonly uploadId: string;
  readonly nodeId: string;
  readonly key: string;
  readonly data: Buffer;
  readonly multipartUploadId: string;
  readonly partStored: PartEvent[];
  readonly allPartsStored: PartEvent;
}

/**
 * Does what the part-writer does with a file: a multipart upload created with the drive's
 * checksum (FULL_OBJECT), parts uploaded with their checksums, or one PutObject when
 * `partSize` ≥ the file; returns the PartEvents announcing it.
 */
export async function writeFile(
  d: Pick<TestDrive, 'drive' | 'store' | 'bucket'>,
  options: {
    readonly data: Buffer;
    readonly partSize?: number;
    readonly key?: string;
    readonly uploadId?: string;
    readonly nodeId?: string;
    /** The client's whole-file SHA-256 (raw); default none. */
    readonly sha256?: Buffer;
    /**
     * The part-writer's whole-file SHA-256 (raw); default the data's own, as the part-writer
     * computes it. Empty when its running hash was given up.
     */
    readonly contentSha256?: Buffer;
    readonly metadata?: Record<string, string>;
  },
): Promise<WrittenFile> {
  const { data } = options;
  const uploadId = options.uploadId ?? randomUUID();
  const nodeId = options.nodeId ?? randomUUID();
  const key = options.key ?? `${d.drive.tenant}/${d.drive.name}/${nodeId}`;
  const mode = d.drive.checksumMode;
  const partSize = options.partSize ?? 5 * MiB;
  const target = { bucket: d.bucket, key, checksumMode: mode };
  const crcFields = (buf: Buffer) => ({ crc64nvme: crc64nvme(buf), crc32c: crc32c(buf), crc32: crc32(buf) });
  const body = (buf: Buffer) => ({ pieces: [buf], length: buf.length, crcs: crcFields(buf) });
  const who = {
    eventId: '',
    uploadId,
    nodeId,
    tenant: d.drive.tenant,
    drive: d.drive.name,
    occurredAt: new Date(),
  };
  const whole = crcFields(data);
  const facts: Omit<PartEvent_AllPartsStored, 'location' | 'partCount' | 'etag' | 'versionId'> = {
    totalSize: BigInt(data.length),
    ...whole,
    crc32c: mode === 'crc32c' ? whole.crc32c : 0,
    crc32: mode === 'crc32' ? whole.crc32 : 0,
    sha256: options.sha256 ?? Buffer.alloc(0),
    contentSha256: options.contentSha256 ?? createHash('sha256').update(data).digest(),
    totalChunks: 1,
    filename: 'file.bin',
    mimeType: 'application/x-test',
    metadata: options.metadata ?? { origin: 'test' },
    firstChunkAt: new Date(Date.now() - 1000),
    checksumMode: checksumModeToWire(mode),
  };
  if (data.length <= partSize) {
    const put = await d.store.putObject(target, body(data));
    return {
      uploadId,
      nodeId,
      key,
      data,
      multipartUploadId: '',
      partStored: [],
      allPartsStored: {
        ...who,
        eventId: `${uploadId}.all`,
        event: {
          $case: 'allPartsStored',
          value: {
            ...facts,
            location: { bucket: d.bucket, key, multipartUploadId: '' },
            partCount: 1,
            etag: put.etag,
            versionId: put.versionId,
          },
        },
      },
    };
  }
  const multipartUploadId = await d.store.createMultipartUpload(target);
  const location = { bucket: d.bucket, key, multipartUploadId };
  const partStored: PartEvent[] = [];
  for (let start = 0, n = 1; start < data.length; start += partSize, n++) {
    const bytes = data.subarray(start, Math.min(data.length, start + partSize));
    const etag = await d.store.uploadPart(target, multipartUploadId, n, body(bytes));
    const crcs = crcFields(bytes);
    partStored.push({
      ...who,
      eventId: `${uploadId}.part.${n}`,
      event: {
        $case: 'partStored',
        value: {
          location,
          partNumber: n,
          byteStart: BigInt(start),
          byteEnd: BigInt(start + bytes.length),
          etag,
          crc64nvme: crcs.crc64nvme,
          crc32c: mode === 'crc32c' ? crcs.crc32c : 0,
          crc32: mode === 'crc32' ? crcs.crc32 : 0,
          firstChunk: 0,
          lastChunk: 0,
        },
      },
    });
  }
  return {
    uploadId,
    nodeId,
    key,
    data,
    multipartUploadId,
    partStored,
    allPartsStored: {
      ...who,
      eventId: `${uploadId}.all`,
      event: {
        $case: 'allPartsStored',
        value: { ...facts, location, partCount: partStored.length, etag: '', versionId: '' },
      },
    },
  };
}

export function sha256(data: Buffer): Buffer {
  return createHash('sha256').update(data).digest();
}

let offset = 0n;
/** A PartEvent as the stream processor hands it to the handler. */
export function record(value: PartEvent, attempt = 1): StreamRecord<PartEvent> {
  return {
    topic: 'intake.parts',
    partition: 0,
    offset: offset++,
    key: value.nodeId,
    value,
    headers: new Map(),
    timestamp: BigInt(Date.now()),
    attempt,
  };
}

/** An Assembler wired to the test's Redis, drive and an in-memory sink. */
export interface TestAssembler {
  readonly assembler: Assembler;
  readonly publisher: OutcomePublisher;
  readonly sink: EventSink;
  readonly metrics: AssemblerMetrics;
  /** Runs the handler as the stream processor would. */
  handle(event: PartEvent): Promise<void>;
}

export function testAssembler(
  r: { readonly store: AssemblerState; readonly staging: StagingStore },
  d: Pick<TestDrive, 'tenants' | 'objects'>,
  options: Partial<Pick<AssemblerOptions, 'quarantine' | 'hooks' | 'now'>> = {},
): TestAssembler {
  const sink = new EventSink();
  const metrics = assemblerMetrics(createMetricsRegistry('assembler'));
  const access = { tenants: d.tenants, objects: d.objects };
  const publisher = new OutcomePublisher({
    ...access,
    store: r.store,
    staging: r.staging,
    events: sink,
    logger: silent,
    metrics,
  });
  const assembler = new Assembler({
    ...access,
    store: r.store,
    publisher,
    logger: silent,
    metrics,
    ...options,
  });
  return {
    assembler,
    publisher,
    sink,
    metrics,
    handle: (event) => assembler.handle(record(event), new AbortController().signal),
  };
}

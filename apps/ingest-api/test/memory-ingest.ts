/**
 * ingest-api built on the in-memory staging store and a projection the test controls, for
 * tests of its gRPC surface without services.
 */
import type { TestContext } from 'node:test';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { ChecksumPool } from '@sluice/checksums';
import type { ReadinessCheck } from '@sluice/http';
import {
  WatchUploadRequest,
  type IntakeServiceClient,
  type ReceiveWindows,
  type UploadState,
  type WatchUploadResponse,
} from '@sluice/proto';
import { MemoryStaging } from '@sluice/staging';
import { newUpload } from '@sluice/staging/testing';
import { parseTenants } from '@sluice/tenants';
import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import { buildApp, type App } from '../src/app.ts';
import { DEFAULT_LIMITS } from '../src/limits.ts';
import type { ProjectedUploads } from '../src/status.ts';
import type { WatchTiming } from '../src/upload-watch.ts';
import type { ChunkEvents } from '../src/uploads.ts';
import { auth, tenantsEnv, tenantsText } from './harness.ts';

/** The projector's read side as the test sets it: rows, a failure, or a read that never answers. */
export class Projection implements ProjectedUploads {
  readonly rows = new Map<string, UploadState>();
  mode: 'answer' | 'fail' | 'hang' = 'answer';

  find(_tenant: string, uploadId: string): Promise<UploadState | undefined> {
    if (this.mode === 'fail') return Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:13306'));
    if (this.mode === 'hang') return new Promise(() => undefined);
    return Promise.resolve(this.rows.get(uploadId));
  }

  list(): Promise<{ uploads: UploadState[]; nextPageToken: string }> {
    return Promise.resolve({ uploads: [...this.rows.values()], nextPageToken: '' });
  }
}

/** The app, not yet listening, with one upload of tenant acme staged. */
export async function memoryIngest(
  t: TestContext,
  options: {
    readonly watch?: WatchTiming;
    readonly readiness?: readonly ReadinessCheck[];
    /** @default silent */
    readonly logger?: Logger;
    /** Where events go. @default nowhere */
    readonly events?: ChunkEvents;
    /** @default the app's own */
    readonly receiveWindows?: ReceiveWindows;
  } = {},
): Promise<{ app: App; staging: MemoryStaging; projection: Projection; uploadId: string }> {
  const staging = new MemoryStaging();
  const projection = new Projection();
  const checksums = new ChecksumPool({ threads: 0 });
  await checksums.start();
  t.after(() => checksums.close());
  const app = buildApp({
    logger: options.logger ?? pino({ level: 'silent' }),
    registry: new Registry(),
    staging,
    checksums,
    events: options.events ?? { produce: () => Promise.resolve() },
    tenants: parseTenants(tenantsText(), { env: tenantsEnv(), readFile: () => '' }),
    limits: DEFAULT_LIMITS,
    stagingFull: () => false,
    projected: projection,
    watch: { intervalMs: 20, ...options.watch },
    readiness: options.readiness ?? [],
    ...(options.receiveWindows === undefined ? {} : { receiveWindows: options.receiveWindows }),
  });
  const { meta } = await staging.createUpload(newUpload({ tenant: 'acme' }));
  return { app, staging, projection, uploadId: meta.uploadId };
}

/** Follows a watch to its end: the messages, and the status it ended with (0 for OK). */
export function follow(
  client: IntakeServiceClient,
  uploadId: string,
  onMessage?: (m: WatchUploadResponse) => void,
) {
  const messages: WatchUploadResponse[] = [];
  const call = client.watchUpload(WatchUploadRequest.fromPartial({ uploadId }), auth());
  call.on('data', (m: WatchUploadResponse) => {
    messages.push(m);
    onMessage?.(m);
  });
  const ended = new Promise<{ code: number; details: string }>((resolve) => {
    call.on('error', (err: ServiceError) => resolve({ code: err.code, details: err.details }));
    call.on('end', () => resolve({ code: GrpcStatus.OK, details: '' }));
  });
  return { messages, ended, call };
}

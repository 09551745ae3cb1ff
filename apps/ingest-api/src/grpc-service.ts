import {
  status as GrpcStatus,
  type Metadata,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceError,
} from '@grpc/grpc-js';
import { ERROR_CATALOGUE, InvalidArgumentError, UnavailableError, type SluiceError } from '@sluice/errors';
import type { Logger } from '@sluice/logging';
import {
  GRPC_METADATA,
  UploadStatus,
  type IntakeServiceServer,
  type UploadChunkStreamRequest,
} from '@sluice/proto';
import type { Tenants } from '@sluice/tenants';
import type { ChunkIntake, ChunkReceiver } from './chunk-intake.ts';
import { AuthGuard } from './auth-guard.ts';
import { toGrpcStatus } from './grpc-errors.ts';
import { freeRequestBytes } from './message-memory.ts';
import { INTAKE_SERVICE } from './serving.ts';
import { RefusalLog } from './refusal-log.ts';
import { requireWellFormed } from './request-decoding.ts';
import type { IngestLimits } from './limits.ts';
import type { IngestMetrics } from './metrics.ts';
import type { StatusReader } from './status.ts';
import { inCall } from './upload-trace.ts';
import type { UploadLifecycle } from './upload-lifecycle.ts';
import { watchStates, type WatchTiming } from './upload-watch.ts';

export interface IntakeHandlersDeps {
  readonly chunks: ChunkIntake;
  readonly lifecycle: UploadLifecycle;
  readonly status: StatusReader;
  readonly tenants: Tenants;
  readonly limits: IngestLimits;
  readonly metrics: IngestMetrics;
  readonly logger: Logger;
  /** How WatchUpload follows an upload. */
  readonly watch?: WatchTiming;
  /** Fires when the app starts draining: open watches end, telling clients to watch again. */
  readonly drainSignal?: AbortSignal;
}

/** The streaming methods' gRPC types, as the grpc_type metric label names them; the rest are unary. */
const GRPC_TYPES: Readonly<Record<string, string>> = {
  UploadChunkStream: 'client_stream',
  WatchUpload: 'server_stream',
};

/** The bearer token of `authorization` metadata, if any. */
function apiKey(metadata: Metadata): string | undefined {
  const value = metadata.get(GRPC_METADATA.authorization)[0];
  const text = typeof value === 'string' ? value : value?.toString('utf8');
  const match = /^Bearer\s+(.+)$/i.exec(text?.trim() ?? '');
  return match?.[1];
}

function toNumber(value: bigint, field: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new InvalidArgumentError(`${field} is too large`);
  return Number(value);
}

/**
 * gRPC handlers of sluice.intake.v1.IntakeService: authenticate, call the service,
 * answer, and turn every error into its catalogue status in one place.
 */
export function intakeHandlers(d: IntakeHandlersDeps): IntakeServiceServer {
  const log = d.logger.child({ component: 'grpc' });
  const refusals = new RefusalLog(log);
  const auth = new AuthGuard(d.tenants, { failuresPerMinute: d.limits.authFailuresPerMinute });

  function fail(method: string, err: unknown, started: bigint): Partial<ServiceError> {
    const { status, error } = toGrpcStatus(err);
    observe(method, error, started);
    if (status.code === GrpcStatus.INTERNAL || status.code === GrpcStatus.UNKNOWN) {
      log.error({ err, method }, 'call failed');
    } else {
      refusals.note(method, error.code, error.message);
    }
    return status;
  }

  function observe(method: string, error: SluiceError | undefined, started: bigint): void {
    const call = {
      grpc_type: GRPC_TYPES[method] ?? 'unary',
      grpc_service: INTAKE_SERVICE,
      grpc_method: method,
      grpc_code: error ? ERROR_CATALOGUE[error.code].grpc : 'OK',
    };
    d.metrics.grpcHandled.inc({ ...call, sluice_code: error?.code ?? 'OK' });
    d.metrics.grpcHandlingSeconds.observe(call, Number(process.hrtime.bigint() - started) / 1e9);
  }

  function unary<Req, Res>(method: string, fn: (tenant: string, req: Req) => Promise<Res>) {
    return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      const started = process.hrtime.bigint();
      void (async () => {
        try {
          const tenant = auth.authenticate(apiKey(call.metadata), call.getPeer());
          requireWellFormed(call.request);
          const res = await inCall(call.metadata, () => fn(tenant, call.request));
          observe(method, undefined, started);
          callback(null, res);
        } catch (err) {
          callback(fail(method, err, started));
        }
      })();
    };
  }

  const limits = {
    maxUnaryChunkBytes: BigInt(d.limits.maxUnaryChunkBytes),
    maxStagedBytesPerUpload: BigInt(d.limits.maxStagedBytesPerUpload),
    maxChunkNumber: d.limits.maxChunkNumber,
  };

  return {
    initiateUpload: unary('InitiateUpload', async (tenant, req) => {
      const meta = await d.lifecycle.initiate(tenant, {
        drive: req.drive,
        nodeId: req.nodeId,
        filename: req.filename,
        mimeType: req.mimeType,
        metadata: req.metadata,
        sizeHint: toNumber(req.sizeHint, 'size_hint'),
        fixedChunkSize: toNumber(req.fixedChunkSize, 'fixed_chunk_size'),
        clientRequestId: req.clientRequestId,
      });
      const policy = meta.destination.partSizePolicy;
      return {
        uploadId: meta.uploadId,
        nodeId: meta.nodeId,
        partSizePolicy: { kind: policy.kind === 'fixed' ? 1 : 2, partSize: BigInt(policy.partSize) },
        limits,
        bucket: meta.destination.bucket,
        key: meta.destination.key,
      };
    }),

    uploadChunk: unary('UploadChunk', async (tenant, req) => {
      const ack = await d.chunks.stageUnary(
        tenant,
        {
          uploadId: req.uploadId,
          chunkNumber: req.chunkNumber,
          sha256: req.sha256,
          crc32c: req.crc32c,
          force: req.force,
          size: req.data.length,
        },
        Buffer.from(req.data.buffer, req.data.byteOffset, req.data.byteLength),
      );
      // Staged and hashed: the chunk's memory is not needed again.
      freeRequestBytes(req.data);
      return {
        chunkNumber: ack.chunkNumber,
        size: BigInt(ack.size),
        sha256: ack.sha256,
        duplicate: ack.duplicate,
      };
    }),

    uploadChunkStream: (call, callback) => {
      const started = process.hrtime.bigint();
      void inCall(call.metadata, async () => {
        let receiver: ChunkReceiver | undefined;
        try {
          const tenant = auth.authenticate(apiKey(call.metadata), call.getPeer());
          for await (const message of call as AsyncIterable<UploadChunkStreamRequest>) {
            requireWellFormed(message);
            const frame = message.frame;
            if (!receiver) {
              if (frame?.$case !== 'header') {
                throw new InvalidArgumentError(
                  'the first message of UploadChunkStream must be the chunk header',
                );
              }
              const h = frame.value;
              receiver = await d.chunks.open(tenant, {
                uploadId: h.uploadId,
                chunkNumber: h.chunkNumber,
                sha256: h.sha256,
                crc32c: h.crc32c,
                force: h.force,
                size: toNumber(h.size, 'size'),
              });
            } else if (frame?.$case === 'data') {
              await receiver.write(
                Buffer.from(frame.value.buffer, frame.value.byteOffset, frame.value.byteLength),
              );
            } else {
              throw new InvalidArgumentError('after the header, UploadChunkStream takes only data frames');
            }
          }
          if (call.cancelled) {
            await receiver?.abort();
            return;
          }
          if (!receiver)
            throw new InvalidArgumentError('UploadChunkStream ended without a header: send the header first');
          const ack = await receiver.finish();
          observe('UploadChunkStream', undefined, started);
          callback(null, {
            chunkNumber: ack.chunkNumber,
            size: BigInt(ack.size),
            sha256: ack.sha256,
            duplicate: ack.duplicate,
          });
        } catch (err) {
          await receiver?.abort();
          callback(fail('UploadChunkStream', err, started));
        }
      });
    },

    completeUpload: unary('CompleteUpload', async (tenant, req) => {
      const meta = await d.lifecycle.seal(tenant, req.uploadId, req.totalChunks, req.sha256);
      return { uploadId: meta.uploadId, status: UploadStatus.UPLOAD_STATUS_SEALED };
    }),

    abortUpload: unary('AbortUpload', async (tenant, req) => {
      const meta = await d.lifecycle.abort(tenant, req.uploadId, req.reason);
      return { uploadId: meta.uploadId, status: UploadStatus.UPLOAD_STATUS_ABORTED };
    }),

    getUploadStatus: unary('GetUploadStatus', async (tenant, req) => ({
      upload: await d.status.read(tenant, req.uploadId),
    })),

    watchUpload: (call) => {
      const started = process.hrtime.bigint();
      const stop = new AbortController();
      call.once('cancelled', () => stop.abort());
      const drain = d.drainSignal ?? new AbortController().signal;
      void (async () => {
        try {
          const tenant = auth.authenticate(apiKey(call.metadata), call.getPeer());
          requireWellFormed(call.request);
          const read = () => d.status.read(tenant, call.request.uploadId);
          for await (const message of watchStates(
            read,
            d.watch ?? {},
            AbortSignal.any([stop.signal, drain]),
          )) {
            call.write(message);
          }
          if (drain.aborted && !call.cancelled) {
            throw new UnavailableError(
              'SHUTTING_DOWN',
              'this ingest-api is shutting down: watch the upload again (the Sluice client does so by itself)',
            );
          }
          observe('WatchUpload', undefined, started);
          call.end();
        } catch (err) {
          // An 'error' event is how grpc-js ends a server stream with a status; destroy() would
          // end it without one, leaving the client waiting for ever.
          call.emit('error', fail('WatchUpload', err, started));
        }
      })();
    },

    listUploads: unary('ListUploads', async (tenant, req) =>
      d.status.list(tenant, {
        status: req.status,
        drive: req.drive,
        createdAfter: req.createdAfter,
        createdBefore: req.createdBefore,
        pageSize: req.pageSize,
        pageToken: req.pageToken,
      }),
    ),
  };
}

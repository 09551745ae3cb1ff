import {
  credentials as grpcCredentials,
  Metadata,
  type ChannelCredentials,
  type ChannelOptions,
  type ServiceError,
} from '@grpc/grpc-js';
import { SluiceError, UnavailableError } from '@sluice/errors';
import {
  GRPC_METADATA,
  AbortUploadRequest,
  CompleteUploadRequest,
  GetUploadStatusRequest,
  InitiateUploadRequest,
  IntakeServiceChunkClient,
  type IntakeServiceClient,
  ListUploadsRequest,
  UploadChunkRequest,
  WatchUploadRequest,
  type AbortUploadResponse,
  type CompleteUploadResponse,
  type GetUploadStatusResponse,
  type InitiateUploadResponse,
  type ListUploadsResponse,
  type UploadChunkResponse,
  type UploadChunkStreamResponse,
  type UploadState,
  type UploadStatus,
} from '@sluice/proto';
import { traceHeadersOf } from '@sluice/telemetry';
import { cancelled, fromServiceError, isServiceError } from './grpc-errors.ts';
import { sendChunkStream } from './chunk-stream.ts';
import { ChunkChannel } from './chunk-channel.ts';

/** Where ingest-api listens when nothing else is said. */
export const DEFAULT_SERVER = '127.0.0.1:50051';

/** How to reach a Sluice server. */
export interface SluiceClientOptions {
  /** `host:port` of ingest-api's gRPC endpoint. @default '127.0.0.1:50051' */
  readonly server?: string;
  /** The tenant's API key, sent as `authorization: Bearer <key>`. Never logged. */
  readonly apiKey: string;
  /**
   * TLS: `true` for the system's roots; or the PEM of the roots to trust (the system's when
   * absent), and a client certificate chain and its key for a server that asks for one (mTLS).
   * @default false (plaintext, as the local stack serves)
   */
  readonly tls?:
    boolean | { readonly rootCerts?: Buffer; readonly certChain?: Buffer; readonly privateKey?: Buffer };
  /** How long `connect()` waits for the server before SERVER_UNAVAILABLE. @default 10_000 */
  readonly connectTimeoutMs?: number;
  /** Deadline of each call (a chunk included). @default 300_000 */
  readonly callTimeoutMs?: number;
  /**
   * How long a watch may go without a message before it is given up as a dead stream and
   * opened again. The server sends the state at least every 10 s. @default 35000
   */
  readonly watchIdleTimeoutMs?: number;
  /** Extra grpc-js channel options (for every call but unary UploadChunk on `http2`). */
  readonly channelOptions?: ChannelOptions;
  /**
   * How unary UploadChunk calls go out. `http2`: gRPC written onto node:http2 with no copy of
   * the chunk (see ChunkChannel), on a connection of its own; `grpc-js`: through grpc-js like
   * every other call, which copies each chunk twice but honours `channelOptions` (proxies,
   * keepalive, a shared subchannel pool). The bytes on the wire are the same.
   * @default 'http2' for a `host:port` server, 'grpc-js' for any other target
   */
  readonly chunkTransport?: 'http2' | 'grpc-js';
}

/** What InitiateUpload takes; only the drive is required. */
export interface InitiateOptions {
  readonly drive: string;
  /** The file's node id (the Kafka key of its events); the server makes one when empty. */
  readonly nodeId?: string;
  readonly filename?: string;
  readonly mimeType?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  /** Expected size, when known. */
  readonly sizeHint?: number;
  /** Every chunk but the last has this size (lets the server cut parts out of order). */
  readonly fixedChunkSize?: number;
  /** Makes retries return the same upload. */
  readonly clientRequestId?: string;
}

/** A chunk the server acknowledged. */
export interface ChunkAck {
  readonly chunkNumber: number;
  readonly size: number;
  /** Hex SHA-256 of the staged bytes. */
  readonly sha256: string;
  /** True when exactly these bytes were staged already (a retry): nothing was re-staged. */
  readonly duplicate: boolean;
}

/** How one chunk goes over the wire. */
export interface SendChunkOptions {
  /** Stream it in ~1 MiB frames (UploadChunkStream) instead of one UploadChunk message. */
  readonly stream: boolean;
  /** Hex SHA-256 for the server to verify; '' sends none. */
  readonly sha256?: string;
  /** CRC32C for the server to verify, base64 as S3 writes it; '' sends none. */
  readonly crc32c?: string;
  /** Replace a chunk staged with other bytes. */
  readonly force?: boolean;
  readonly signal?: AbortSignal;
  /** Called as bytes are handed to the transport (streamed chunks: per frame). */
  readonly onSent?: (bytes: number) => void;
}

/** Filters of ListUploads. */
export interface ListOptions {
  readonly status?: UploadStatus;
  readonly drive?: string;
  readonly pageSize?: number;
  readonly pageToken?: string;
}

/**
 * A connection to ingest-api with one typed, promise-returning method per call. Every failure
 * is a SluiceError: the server's own code when it sent one, SERVER_UNAVAILABLE when it cannot
 * be reached, CANCELLED when the caller's AbortSignal fired. Calls are not retried here; the
 * uploader does that (`withRetry`). One client (one HTTP/2 connection) serves any number of
 * concurrent uploads.
 */
export class SluiceClient {
  /** `host:port` this client talks to. */
  readonly server: string;
  /** How unary UploadChunk calls go out (see {@link SluiceClientOptions.chunkTransport}). */
  readonly chunkTransport: 'http2' | 'grpc-js';
  readonly #grpc: IntakeServiceClient;
  readonly #chunks: ChunkChannel | undefined;
  readonly #auth: Metadata;
  readonly #connectTimeoutMs: number;
  readonly #callTimeoutMs: number;
  readonly #watchIdleTimeoutMs: number;
  #connected = false;

  constructor(options: SluiceClientOptions) {
    this.server = options.server || DEFAULT_SERVER;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.#callTimeoutMs = options.callTimeoutMs ?? 300_000;
    this.#watchIdleTimeoutMs = options.watchIdleTimeoutMs ?? 35_000;
    this.#auth = new Metadata();
    if (options.apiKey) this.#auth.set(GRPC_METADATA.authorization, `Bearer ${options.apiKey}`);
    this.#grpc = new IntakeServiceChunkClient(this.server, channelCredentials(options.tls), {
      // Answers are small; chunks go out in messages as large as the server's unary limit.
      'grpc.max_send_message_length': -1,
      'grpc.max_receive_message_length': 16 * 1024 * 1024,
      ...options.channelOptions,
    });
    this.#chunks = chunkChannel(this.server, options);
    this.chunkTransport = this.#chunks ? 'http2' : 'grpc-js';
  }

  /**
   * Waits until the server accepts a connection. Fails with SERVER_UNAVAILABLE after
   * `connectTimeoutMs`, so a wrong address is reported in seconds rather than after retries.
   */
  async connect(signal?: AbortSignal): Promise<void> {
    if (this.#connected) return;
    const deadline = Date.now() + this.#connectTimeoutMs;
    await this.#settle(
      'connecting',
      signal,
      (done) => this.#grpc.waitForReady(deadline, (err) => done(err ?? null)),
      // Waiting for a connection cannot be cancelled; the caller just stops waiting.
      undefined,
      (err) =>
        new UnavailableError(
          'SERVER_UNAVAILABLE',
          `cannot reach the Sluice server at ${this.server} within ${Math.round(this.#connectTimeoutMs / 100) / 10} s` +
            ` (${err.message}): check the address and that ingest-api runs there`,
          { cause: err },
        ),
    );
    this.#connected = true;
  }

  /** Starts an upload; retries with the same `clientRequestId` return the same upload. */
  initiate(options: InitiateOptions, signal?: AbortSignal): Promise<InitiateUploadResponse> {
    const req = InitiateUploadRequest.fromPartial({
      drive: options.drive,
      nodeId: options.nodeId ?? '',
      filename: options.filename ?? '',
      mimeType: options.mimeType ?? '',
      metadata: { ...options.metadata },
      sizeHint: BigInt(options.sizeHint ?? 0),
      fixedChunkSize: BigInt(options.fixedChunkSize ?? 0),
      clientRequestId: options.clientRequestId ?? '',
    });
    return this.#unary<InitiateUploadResponse>('InitiateUpload', signal, (md, opts, cb) =>
      this.#grpc.initiateUpload(req, md, opts, cb),
    );
  }

  /** Sends one chunk, in one message or streamed in frames. */
  async uploadChunk(
    uploadId: string,
    chunkNumber: number,
    data: Buffer,
    options: SendChunkOptions,
  ): Promise<ChunkAck> {
    const what = `UploadChunk ${chunkNumber}`;
    if (options.stream) {
      let call: { cancel(): void } | undefined;
      const res = await this.#settle<UploadChunkStreamResponse>(
        what,
        options.signal,
        (done) => {
          call = sendChunkStream(
            this.#grpc,
            this.#metadata(),
            { deadline: Date.now() + this.#callTimeoutMs },
            {
              uploadId,
              chunkNumber,
              size: BigInt(data.length),
              sha256: options.sha256 ?? '',
              force: options.force ?? false,
              crc32c: options.crc32c ?? '',
            },
            data,
            done,
            options.onSent,
          );
        },
        () => call?.cancel(),
      );
      return {
        chunkNumber: res.chunkNumber,
        size: Number(res.size),
        sha256: res.sha256,
        duplicate: res.duplicate,
      };
    }
    const req = UploadChunkRequest.fromPartial({
      uploadId,
      chunkNumber,
      data,
      sha256: options.sha256 ?? '',
      force: options.force ?? false,
      crc32c: options.crc32c ?? '',
    });
    options.onSent?.(data.length);
    const chunks = this.#chunks;
    const res = chunks
      ? await this.#unary<UploadChunkResponse>(what, options.signal, (md, opts, cb) =>
          chunks.uploadChunk(req, md, opts, cb),
        )
      : await this.#unary<UploadChunkResponse>(what, options.signal, (md, opts, cb) =>
          this.#grpc.uploadChunk(req, md, opts, cb),
        );
    return {
      chunkNumber: res.chunkNumber,
      size: Number(res.size),
      sha256: res.sha256,
      duplicate: res.duplicate,
    };
  }

  /** Seals the upload: `totalChunks` chunks, whole-file SHA-256 (hex; '' for none). Idempotent. */
  async complete(
    uploadId: string,
    totalChunks: number,
    sha256: string,
    signal?: AbortSignal,
  ): Promise<UploadStatus> {
    const req = CompleteUploadRequest.fromPartial({ uploadId, totalChunks, sha256 });
    const res = await this.#unary<CompleteUploadResponse>('CompleteUpload', signal, (md, opts, cb) =>
      this.#grpc.completeUpload(req, md, opts, cb),
    );
    return res.status;
  }

  /** Asks the pipeline to drop the upload. Idempotent. */
  async abort(uploadId: string, reason = '', signal?: AbortSignal): Promise<UploadStatus> {
    const req = AbortUploadRequest.fromPartial({ uploadId, reason });
    const res = await this.#unary<AbortUploadResponse>('AbortUpload', signal, (md, opts, cb) =>
      this.#grpc.abortUpload(req, md, opts, cb),
    );
    return res.status;
  }

  /** The upload's state, including the chunks staged so far. */
  async status(uploadId: string, signal?: AbortSignal): Promise<UploadState> {
    const req = GetUploadStatusRequest.fromPartial({ uploadId });
    const res = await this.#unary<GetUploadStatusResponse>('GetUploadStatus', signal, (md, opts, cb) =>
      this.#grpc.getUploadStatus(req, md, opts, cb),
    );
    if (!res.upload)
      throw new SluiceError('INTERNAL', `GetUploadStatus answered without the upload ${uploadId}`);
    return res.upload;
  }

  /** One page of the tenant's uploads (answered from the projection). */
  list(options: ListOptions = {}, signal?: AbortSignal): Promise<ListUploadsResponse> {
    const req = ListUploadsRequest.fromPartial({ ...options });
    return this.#unary<ListUploadsResponse>('ListUploads', signal, (md, opts, cb) =>
      this.#grpc.listUploads(req, md, opts, cb),
    );
  }

  /**
   * The upload's states as they change, ending after the one with `final: true`. Not retried:
   * `waitForUpload` resumes a broken watch.
   */
  async *watch(
    uploadId: string,
    signal?: AbortSignal,
  ): AsyncGenerator<{ upload: UploadState; final: boolean }> {
    if (signal?.aborted) throw cancelled(signal, 'WatchUpload');
    const call = this.#grpc.watchUpload(WatchUploadRequest.fromPartial({ uploadId }), this.#metadata());
    const onAbort = () => call.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    let idle = false;
    const idleTimer = setTimeout(() => {
      idle = true;
      call.cancel();
    }, this.#watchIdleTimeoutMs);
    try {
      for await (const message of call as AsyncIterable<{ upload?: UploadState; final: boolean }>) {
        idleTimer.refresh();
        if (message.upload) yield { upload: message.upload, final: message.final };
        if (message.final) return;
      }
    } catch (err) {
      if (signal?.aborted) throw cancelled(signal, 'WatchUpload');
      if (idle) {
        throw new UnavailableError(
          'SERVER_UNAVAILABLE',
          `WatchUpload ${uploadId} sent nothing for ${this.#watchIdleTimeoutMs} ms; the stream is taken for dead`,
        );
      }
      throw isServiceError(err) ? fromServiceError(err, { call: 'WatchUpload', server: this.server }) : err;
    } finally {
      clearTimeout(idleTimer);
      signal?.removeEventListener('abort', onAbort);
      call.cancel();
    }
  }

  /** Closes the connections; calls still running fail. */
  close(): void {
    this.#grpc.close();
    this.#chunks?.close();
  }

  /** The API key, and the caller's trace context when it has one, so the upload's trace continues it. */
  #metadata(): Metadata {
    const metadata = this.#auth.clone();
    const trace = traceHeadersOf();
    if (trace) {
      metadata.set(GRPC_METADATA.traceparent, trace.traceparent);
      if (trace.tracestate) metadata.set(GRPC_METADATA.tracestate, trace.tracestate);
    }
    return metadata;
  }

  /**
   * One unary call, through grpc-js or the chunk channel (both take a deadline in ms since the
   * epoch and return something cancellable), with the call timeout and the caller's signal.
   */
  #unary<Res>(
    what: string,
    signal: AbortSignal | undefined,
    start: (
      md: Metadata,
      options: { deadline: number },
      callback: (err: ServiceError | null, res?: Res) => void,
    ) => { cancel(): void },
  ): Promise<Res> {
    let call: { cancel(): void } | undefined;
    return this.#settle<Res>(
      what,
      signal,
      (done) => (call = start(this.#metadata(), { deadline: Date.now() + this.#callTimeoutMs }, done)),
      () => call?.cancel(),
    );
  }

  /**
   * Runs one callback-style call as a promise: maps its error, and turns the caller's abort
   * into a CancelledError (cancelling the call) whatever the call reports afterwards.
   */
  #settle<Res>(
    what: string,
    signal: AbortSignal | undefined,
    start: (done: (err: Error | null, res?: Res) => void) => unknown,
    cancel: (() => void) | undefined,
    mapError?: (err: Error) => SluiceError,
  ): Promise<Res> {
    return new Promise<Res>((resolve, reject) => {
      if (signal?.aborted) return reject(cancelled(signal, what));
      let settled = false;
      const onAbort = () => {
        if (settled) return;
        settled = true;
        cancel?.();
        reject(cancelled(signal as AbortSignal, what));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      start((err, res) => {
        signal?.removeEventListener('abort', onAbort);
        if (settled) return;
        settled = true;
        if (err) {
          if (mapError) reject(mapError(err));
          else reject(isServiceError(err) ? fromServiceError(err, { call: what, server: this.server }) : err);
        } else {
          resolve(res as Res);
        }
      });
    });
  }
}

/**
 * The chunk channel the options ask for. Left to its default, a server that is not `host:port`
 * (a `dns:` or `unix:` target, which only grpc-js resolves) sends its chunks through grpc-js.
 */
function chunkChannel(server: string, options: SluiceClientOptions): ChunkChannel | undefined {
  if (options.chunkTransport === 'grpc-js') return undefined;
  try {
    return new ChunkChannel(server, { tls: options.tls });
  } catch (err) {
    if (options.chunkTransport === 'http2') throw err;
    return undefined;
  }
}

function channelCredentials(tls: SluiceClientOptions['tls']): ChannelCredentials {
  if (!tls) return grpcCredentials.createInsecure();
  if (tls === true) return grpcCredentials.createSsl();
  return grpcCredentials.createSsl(tls.rootCerts ?? null, tls.privateKey ?? null, tls.certChain ?? null);
}

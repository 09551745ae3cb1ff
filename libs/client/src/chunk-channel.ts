/**
 * UploadChunk as a gRPC call written straight onto node:http2, so a chunk's bytes go from the
 * caller's Buffer to the socket without a copy.
 *
 * Through grpc-js a chunk is copied twice on its way out (into the encoded message, then behind
 * the message's 5-byte frame header) and both copies are garbage a moment later: measured in the
 * bench, the client spent 4.4 CPU s per GiB that way and 1.5 this way, and a third of grpc-js's
 * share was the garbage collector. Here the frame header and the fields before `data` go out as
 * one small buffer, `data` as it is, then the fields after it.
 *
 * It is real gRPC on the wire (the PROTOCOL-HTTP2 spec): any gRPC server takes these calls, and
 * ingest-api, a grpc-js server, cannot tell them apart. Answers, statuses, trailers, deadlines
 * (`grpc-timeout`) and cancellation behave as grpc-js's do, and failures come back as the same
 * ServiceError, so {@link fromServiceError} reads them alike. Every other call stays on grpc-js.
 */
import {
  connect,
  constants,
  type ClientHttp2Session,
  type IncomingHttpHeaders,
  type OutgoingHttpHeaders,
  type SecureClientSessionOptions,
} from 'node:http2';
import { Metadata, status as Status, type ServiceError } from '@grpc/grpc-js';
import { UploadChunkResponse, uploadChunkRequestPieces, type UploadChunkRequest } from '@sluice/proto';

const PATH = '/sluice.intake.v1.IntakeService/UploadChunk';
/** gRPC's frame header: a compressed flag and the message's length. */
const FRAME_HEADER_BYTES = 5;

/** TLS of a {@link ChunkChannel}, as SluiceClient takes it. */
export type ChunkChannelTls =
  boolean | { readonly rootCerts?: Buffer; readonly certChain?: Buffer; readonly privateKey?: Buffer };

/** How to reach the server. */
export interface ChunkChannelOptions {
  /** `true` for the system's roots, or PEM roots and a client certificate. @default false */
  readonly tls?: ChunkChannelTls;
  /** The largest answer taken. @default 4 MiB, grpc-js's default */
  readonly maxResponseBytes?: number;
}

/** A call in flight. */
export interface ChunkCall {
  /** Stops the call; its callback gets CANCELLED unless it was already answered. */
  cancel(): void;
}

/** The answer to a call: a ServiceError, or the response. */
export type ChunkCallback = (err: ServiceError | null, res?: UploadChunkResponse) => void;

/** HTTP statuses that mean a gRPC call never reached a gRPC server (gRPC's http-grpc-status-mapping). */
function fromHttpStatus(httpStatus: number): Status {
  switch (httpStatus) {
    case 400:
      return Status.INTERNAL;
    case 401:
      return Status.UNAUTHENTICATED;
    case 403:
      return Status.PERMISSION_DENIED;
    case 404:
      return Status.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return Status.UNAVAILABLE;
    default:
      return Status.UNKNOWN;
  }
}

function serviceError(code: Status, details: string, metadata = new Metadata()): ServiceError {
  return Object.assign(new Error(`${code} ${Status[code]}: ${details}`), { code, details, metadata });
}

/** The status a `grpc-status` header names; UNKNOWN for one that names none. */
function grpcStatus(value: string | string[] | undefined): Status {
  const code = Number(value);
  return Number.isInteger(code) && Status[code] !== undefined ? code : Status.UNKNOWN;
}

/** `grpc-message` is percent-encoded; a malformed one is kept as sent. */
function grpcMessage(value: string | string[] | undefined): string {
  const raw = Array.isArray(value) ? value.join(',') : (value ?? '');
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

/** `grpc-timeout` for `ms` milliseconds: at most 8 digits (the spec's limit). */
function grpcTimeout(ms: number): string {
  const whole = Math.max(1, Math.ceil(ms));
  return whole < 1e8 ? `${whole}m` : `${Math.ceil(whole / 1000)}S`;
}

/**
 * One HTTP/2 connection to a server's IntakeService, for UploadChunk. It connects on the first
 * call and again on the first call after the connection is lost; it keeps the process alive only
 * while calls are in flight. Any number of calls share the connection.
 */
export class ChunkChannel {
  readonly #authority: string;
  readonly #connectOptions: SecureClientSessionOptions;
  readonly #maxResponseBytes: number;
  #session: ClientHttp2Session | undefined;
  #inFlight = 0;
  #closed = false;

  /** `target` is `host:port`. */
  constructor(target: string, options: ChunkChannelOptions = {}) {
    const tls = options.tls ?? false;
    const url = new URL(`${tls ? 'https' : 'http'}://${target}`);
    if (url.host === '' || url.pathname !== '/' || url.search !== '' || url.username !== '') {
      throw new TypeError(`a chunk channel's target is host:port, not ${JSON.stringify(target)}`);
    }
    this.#authority = url.origin;
    this.#maxResponseBytes = options.maxResponseBytes ?? 4 * 1024 * 1024;
    this.#connectOptions = {
      // What the session may hold is bounded by the caller's own concurrency; Node's default
      // (10 MB) would refuse a stream as soon as two 8 MiB chunks were queued at once.
      maxSessionMemory: Number.MAX_SAFE_INTEGER,
      settings: { enablePush: false },
      ...(typeof tls === 'object'
        ? {
            ...(tls.rootCerts ? { ca: tls.rootCerts } : {}),
            ...(tls.certChain ? { cert: tls.certChain } : {}),
            ...(tls.privateKey ? { key: tls.privateKey } : {}),
          }
        : {}),
    };
  }

  /**
   * Sends one UploadChunk. `deadline` (ms since the epoch) is sent as `grpc-timeout` and held
   * here too: past it, the call is cancelled and answered DEADLINE_EXCEEDED.
   */
  uploadChunk(
    request: UploadChunkRequest,
    metadata: Metadata,
    options: { readonly deadline?: number },
    callback: ChunkCallback,
  ): ChunkCall {
    let answered = false;
    let timer: NodeJS.Timeout | undefined;
    const answer = (err: ServiceError | null, res?: UploadChunkResponse): void => {
      if (answered) return;
      answered = true;
      clearTimeout(timer);
      this.#release();
      callback(err, res);
    };
    if (this.#closed) {
      queueMicrotask(() => callback(serviceError(Status.UNAVAILABLE, 'the channel is closed')));
      return { cancel: () => undefined };
    }
    this.#hold();
    const headers: OutgoingHttpHeaders = {
      ...metadata.toHttp2Headers(),
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: PATH,
      [constants.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc',
      [constants.HTTP2_HEADER_TE]: 'trailers',
      'grpc-accept-encoding': 'identity',
    };
    const remaining = options.deadline === undefined ? undefined : options.deadline - Date.now();
    if (remaining !== undefined) headers['grpc-timeout'] = grpcTimeout(remaining);
    let stream;
    try {
      stream = this.#connect().request(headers);
    } catch (err) {
      queueMicrotask(() => answer(serviceError(Status.UNAVAILABLE, (err as Error).message)));
      return { cancel: () => undefined };
    }
    const stop = (code: Status, details: string): void => {
      if (answered) return;
      stream.close(constants.NGHTTP2_CANCEL);
      answer(serviceError(code, details));
    };
    if (remaining !== undefined) {
      timer = setTimeout(() => stop(Status.DEADLINE_EXCEEDED, 'Deadline exceeded'), Math.max(0, remaining));
    }

    const { head, data, tail } = uploadChunkRequestPieces(request);
    const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + head.length);
    frame[0] = 0;
    frame.writeUInt32BE(head.length + data.length + tail.length, 1);
    frame.set(head, FRAME_HEADER_BYTES);
    stream.write(frame);
    if (data.length > 0) stream.write(data);
    stream.end(tail.length > 0 ? tail : undefined);

    let httpStatus: number | undefined;
    let ending: IncomingHttpHeaders | undefined;
    const body: Buffer[] = [];
    let bodyBytes = 0;
    let failure: Error | undefined;
    stream.on('response', (h: IncomingHttpHeaders) => {
      httpStatus = Number(h[constants.HTTP2_HEADER_STATUS]);
      // A trailers-only answer (an error before any message) carries its status here.
      if (h['grpc-status'] !== undefined) ending = h;
    });
    stream.on('data', (piece: Buffer) => {
      bodyBytes += piece.length;
      if (bodyBytes > this.#maxResponseBytes + FRAME_HEADER_BYTES) {
        stop(
          Status.RESOURCE_EXHAUSTED,
          `Received message larger than max (${bodyBytes - FRAME_HEADER_BYTES} vs. ${this.#maxResponseBytes})`,
        );
        return;
      }
      body.push(piece);
    });
    stream.on('trailers', (t: IncomingHttpHeaders) => (ending = t));
    stream.on('error', (err: Error) => (failure = err));
    stream.on('close', () => {
      if (answered) return;
      if (ending !== undefined) {
        const code = grpcStatus(ending['grpc-status']);
        if (code !== Status.OK) {
          answer(serviceError(code, grpcMessage(ending['grpc-message']), Metadata.fromHttp2Headers(ending)));
          return;
        }
        const decoded = decodeAnswer(Buffer.concat(body));
        if (typeof decoded === 'string') answer(serviceError(Status.INTERNAL, decoded));
        else answer(null, decoded);
        return;
      }
      if (httpStatus !== undefined && httpStatus !== 200) {
        answer(serviceError(fromHttpStatus(httpStatus), `Received HTTP status code ${httpStatus}`));
        return;
      }
      answer(closedEarly(stream.rstCode, failure, httpStatus !== undefined));
    });
    return { cancel: () => stop(Status.CANCELLED, 'Cancelled on client') };
  }

  /** Closes the connection; calls in flight fail with UNAVAILABLE. */
  close(): void {
    this.#closed = true;
    this.#session?.destroy();
    this.#session = undefined;
  }

  #connect(): ClientHttp2Session {
    const open = this.#session;
    if (open && !open.closed && !open.destroyed) return open;
    const session = connect(this.#authority, this.#connectOptions);
    // A connection that fails fails its streams, which say so; the session needs no listener
    // of its own beyond this one, which keeps the error from being thrown.
    session.on('error', () => undefined);
    const forget = (): void => {
      if (this.#session === session) this.#session = undefined;
    };
    session.on('close', forget);
    session.on('goaway', forget);
    if (this.#inFlight === 0) session.unref();
    this.#session = session;
    return session;
  }

  #hold(): void {
    if (this.#inFlight++ === 0) this.#session?.ref();
  }

  #release(): void {
    if (--this.#inFlight === 0) this.#session?.unref();
  }
}

/** The one UploadChunkResponse of a successful call's body, or what is wrong with the body. */
function decodeAnswer(body: Buffer): UploadChunkResponse | string {
  if (body.length < FRAME_HEADER_BYTES) return 'the server answered OK without a message';
  if (body[0] !== 0) return 'the server sent a compressed answer, which was not asked for';
  const length = body.readUInt32BE(1);
  if (body.length !== FRAME_HEADER_BYTES + length) {
    return `the server's answer is ${body.length - FRAME_HEADER_BYTES} bytes, not the ${length} its frame says`;
  }
  try {
    return UploadChunkResponse.decode(body.subarray(FRAME_HEADER_BYTES));
  } catch (err) {
    return `the server's answer does not decode: ${(err as Error).message}`;
  }
}

/**
 * A stream that ended without a gRPC status: reset, or its connection lost. Before the server
 * answered anything, the call is taken for never having reached it (the connection failed or
 * was refused, TLS failed, or the stream was refused): UNAVAILABLE, which is sent again.
 */
function closedEarly(rstCode: number, failure: Error | undefined, responded: boolean): ServiceError {
  const why = failure?.message ?? `stream closed with HTTP/2 code ${rstCode}`;
  if (!responded || failure) return serviceError(Status.UNAVAILABLE, why);
  if (rstCode === constants.NGHTTP2_CANCEL) {
    return serviceError(Status.CANCELLED, `the server cancelled the call (${why})`);
  }
  return serviceError(Status.INTERNAL, why);
}

import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import {
  CancelledError,
  ERROR_CATALOGUE,
  ResourceExhaustedError,
  SluiceError,
  UnauthenticatedError,
  UnavailableError,
  type ErrorCode,
} from '@sluice/errors';
import { GRPC_METADATA } from '@sluice/proto';

/** Trailer carrying the server's stable Sluice error code beside the gRPC status. */
export const ERROR_CODE_METADATA = GRPC_METADATA.errorCode;
/** gRPC retry pushback (gRFC A6): how long the server asks the client to wait before retrying. */
export const PUSHBACK_METADATA = GRPC_METADATA.retryPushback;

/** True for the error objects grpc-js hands to callbacks and stream listeners. */
export function isServiceError(err: unknown): err is ServiceError {
  return (
    err instanceof Error &&
    typeof (err as Partial<ServiceError>).code === 'number' &&
    typeof (err as Partial<ServiceError>).details === 'string'
  );
}

/** What the caller was doing, for messages. */
export interface CallContext {
  /** The RPC, e.g. `UploadChunk 7`. */
  readonly call: string;
  /** `host:port` of the server. */
  readonly server: string;
}

function trailer(err: ServiceError, key: string): string | undefined {
  const value = err.metadata?.get(key)[0];
  return typeof value === 'string' ? value : value?.toString('utf8');
}

function knownCode(code: string | undefined): ErrorCode | undefined {
  return code !== undefined && Object.hasOwn(ERROR_CATALOGUE, code) ? (code as ErrorCode) : undefined;
}

/**
 * The pushback a RESOURCE_EXHAUSTED answer asked for, in ms; 0 when there was none. A
 * malformed or negative value means "do not retry" in gRFC A6, which is 0 here too: the
 * caller then falls back to its own backoff (and to `retriable`).
 */
export function pushbackMs(err: ServiceError): number {
  const raw = trailer(err, PUSHBACK_METADATA);
  const ms = raw === undefined ? NaN : Number(raw);
  return Number.isInteger(ms) && ms > 0 ? ms : 0;
}

/**
 * Turns a grpc-js error into the SluiceError it stands for. The server's `sluice-error-code`
 * trailer wins (its message is already written for the caller); errors the transport made up
 * (nothing listening, deadline passed, message too large) get a code and a message here.
 */
export function fromServiceError(err: ServiceError, context: CallContext): SluiceError {
  const serverCode = trailer(err, ERROR_CODE_METADATA);
  const code = knownCode(serverCode);
  const details = { grpcStatus: err.code, call: context.call };
  const options = { cause: err, details };
  if (code && ERROR_CATALOGUE[code].grpc === 'RESOURCE_EXHAUSTED') {
    return new ResourceExhaustedError(
      code as ConstructorParameters<typeof ResourceExhaustedError>[0],
      err.details,
      {
        ...options,
        retryAfterMs: pushbackMs(err),
      },
    );
  }
  if (code) return new SluiceError(code, err.details, options);
  const said = err.details ? ` (${err.details})` : '';
  switch (err.code) {
    case GrpcStatus.UNAVAILABLE:
      return new UnavailableError(
        'SERVER_UNAVAILABLE',
        `cannot reach the Sluice server at ${context.server}${said}: check the address and that ingest-api runs there`,
        options,
      );
    case GrpcStatus.DEADLINE_EXCEEDED:
      return new UnavailableError(
        'SERVER_UNAVAILABLE',
        `${context.call} got no answer from ${context.server} before its deadline; it is retried, or raise the call timeout`,
        options,
      );
    case GrpcStatus.CANCELLED:
      // Cancelled by the other side or by a proxy; our own cancellations never get here.
      return new UnavailableError(
        'SERVER_UNAVAILABLE',
        `${context.call} was cancelled by the server at ${context.server}${said}; it is retried`,
        options,
      );
    case GrpcStatus.UNAUTHENTICATED:
      return new UnauthenticatedError(
        `the server refused the API key${said}: check the key you were given`,
        options,
      );
    case GrpcStatus.UNIMPLEMENTED:
      return new SluiceError(
        'CALL_UNIMPLEMENTED',
        `the server at ${context.server} does not offer ${context.call.split(' ')[0]}${said}: it may be older than this client`,
        options,
      );
    case GrpcStatus.RESOURCE_EXHAUSTED:
      // No Sluice code: the transport's own limit (message size), which retrying cannot fix.
      return new ResourceExhaustedError(
        'CHUNK_TOO_LARGE',
        `${context.call} was refused by the transport${said}: send smaller chunks`,
        {
          ...options,
          retriable: false,
        },
      );
    default:
      return new SluiceError(
        'INTERNAL',
        `${context.call} failed on ${context.server} with gRPC status ${GrpcStatus[err.code] ?? err.code}${said}` +
          `${serverCode ? ` [${serverCode}]` : ''}`,
        options,
      );
  }
}

/** The error an AbortSignal's reason becomes. */
export function cancelled(signal: AbortSignal, what: string): CancelledError {
  const reason: unknown = signal.reason;
  if (reason instanceof CancelledError) return reason;
  const said = reason instanceof Error && reason.name !== 'AbortError' ? `: ${reason.message}` : '';
  return new CancelledError(`${what} was cancelled${said}`, { cause: reason });
}

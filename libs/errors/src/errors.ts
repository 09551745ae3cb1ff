import { ERROR_CATALOGUE, GRPC_STATUS, type ErrorCode } from './catalogue.ts';

/** Options every Sluice error accepts. */
export interface SluiceErrorOptions {
  /** The error this one explains. */
  readonly cause?: unknown;
  /** Overrides the code's default `retriable`. */
  readonly retriable?: boolean;
  /** Facts for logs and clients (never secrets, never payload bytes). */
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * Base of every error Sluice throws. `code` is stable and drawn from the catalogue;
 * the message says what was wrong and what to do about it.
 */
export class SluiceError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  readonly details: Readonly<Record<string, string | number | boolean>>;

  constructor(code: ErrorCode, message: string, options: SluiceErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? ERROR_CATALOGUE[code].retriable;
    this.details = Object.freeze({ ...options.details });
  }

  /** The numeric gRPC status this error is answered with. */
  get grpcStatus(): number {
    return GRPC_STATUS[ERROR_CATALOGUE[this.code].grpc];
  }

  /** The HTTP status this error is answered with. */
  get httpStatus(): number {
    return ERROR_CATALOGUE[this.code].http;
  }

  toJSON(): { code: ErrorCode; message: string; retriable: boolean; details: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      retriable: this.retriable,
      details: { ...this.details },
    };
  }
}

type CodeOf<S extends string> = {
  [K in ErrorCode]: (typeof ERROR_CATALOGUE)[K]['grpc'] extends S ? K : never;
}[ErrorCode];

/** A request field is missing, malformed or out of range. */
export class InvalidArgumentError extends SluiceError {
  constructor(message: string, options?: SluiceErrorOptions & { code?: CodeOf<'INVALID_ARGUMENT'> }) {
    super(options?.code ?? 'INVALID_ARGUMENT', message, options);
  }
}

/** The caller is not who it claims, or did not say. */
export class UnauthenticatedError extends SluiceError {
  constructor(message: string, options?: SluiceErrorOptions) {
    super('UNAUTHENTICATED', message, options);
  }
}

/** The caller may not use this resource. */
export class PermissionDeniedError extends SluiceError {
  constructor(message: string, options?: SluiceErrorOptions) {
    super('DRIVE_FORBIDDEN', message, options);
  }
}

/** The named thing does not exist (or belongs to someone else, which looks the same). */
export class NotFoundError extends SluiceError {
  constructor(code: CodeOf<'NOT_FOUND'>, message: string, options?: SluiceErrorOptions) {
    super(code, message, options);
  }
}

/** The request conflicts with what is already stored. */
export class ConflictError extends SluiceError {
  constructor(code: CodeOf<'ALREADY_EXISTS'>, message: string, options?: SluiceErrorOptions) {
    super(code, message, options);
  }
}

/** The upload's state does not allow this request. */
export class FailedPreconditionError extends SluiceError {
  constructor(code: CodeOf<'FAILED_PRECONDITION'>, message: string, options?: SluiceErrorOptions) {
    super(code, message, options);
  }
}

/** A limit is reached; `retryAfterMs` says when trying again is worthwhile (0: don't, without a change). */
export class ResourceExhaustedError extends SluiceError {
  readonly retryAfterMs: number;
  constructor(
    code: CodeOf<'RESOURCE_EXHAUSTED'>,
    message: string,
    options?: SluiceErrorOptions & { retryAfterMs?: number },
  ) {
    super(code, message, options);
    this.retryAfterMs = options?.retryAfterMs ?? 0;
  }
}

/** An outside system is down, slow or throttling; trying again later may work. */
export class UnavailableError extends SluiceError {
  constructor(code: CodeOf<'UNAVAILABLE'>, message: string, options?: SluiceErrorOptions) {
    super(code, message, options);
  }
}

/** Bytes that should exist are gone or differ from what was sent. */
export class DataLossError extends SluiceError {
  constructor(code: CodeOf<'DATA_LOSS'>, message: string, options?: SluiceErrorOptions) {
    super(code, message, options);
  }
}

/** A bug or an outside refusal Sluice cannot explain better. */
export class InternalError extends SluiceError {
  constructor(message: string, options?: SluiceErrorOptions & { code?: CodeOf<'INTERNAL'> }) {
    super(options?.code ?? 'INTERNAL', message, options);
  }
}

/** The caller gave up: an AbortSignal fired, or the user pressed Ctrl-C. */
export class CancelledError extends SluiceError {
  constructor(message: string, options?: SluiceErrorOptions) {
    super('CANCELLED', message, options);
  }
}

/** Returns `err` if it is a SluiceError, else wraps it as INTERNAL keeping it as the cause. */
export function toSluiceError(err: unknown): SluiceError {
  if (err instanceof SluiceError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new InternalError(`unexpected error: ${message}`, { cause: err });
}

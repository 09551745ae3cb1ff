import { Metadata, type StatusObject } from '@grpc/grpc-js';
import { ResourceExhaustedError, toSluiceError, type SluiceError } from '@sluice/errors';

/** Metadata key carrying the stable Sluice error code beside the gRPC status. */
export const ERROR_CODE_METADATA = 'sluice-error-code';
/** gRPC's retry pushback (A6): how long a client should wait before trying again. */
export const PUSHBACK_METADATA = 'grpc-retry-pushback-ms';

/**
 * The one place errors become gRPC statuses: the catalogue's status, the message as
 * details, the Sluice code and, for back-pressure, the retry pushback in trailers.
 */
export function toGrpcStatus(err: unknown): { status: Partial<StatusObject>; error: SluiceError } {
  const e = toSluiceError(err);
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_METADATA, e.code);
  if (e instanceof ResourceExhaustedError && e.retryAfterMs > 0)
    metadata.set(PUSHBACK_METADATA, String(e.retryAfterMs));
  return { status: { code: e.grpcStatus, details: e.message, metadata }, error: e };
}

import { Metadata, type StatusObject } from '@grpc/grpc-js';
import { ResourceExhaustedError, toSluiceError, type SluiceError } from '@sluice/errors';
import { GRPC_METADATA } from '@sluice/proto';

/**
 * The one place errors become gRPC statuses: the catalogue's status, the message as
 * details, the Sluice code and, for back-pressure, the retry pushback in trailers.
 */
export function toGrpcStatus(err: unknown): { status: Partial<StatusObject>; error: SluiceError } {
  const e = toSluiceError(err);
  const metadata = new Metadata();
  metadata.set(GRPC_METADATA.errorCode, e.code);
  if (e instanceof ResourceExhaustedError && e.retryAfterMs > 0)
    metadata.set(GRPC_METADATA.retryPushback, String(e.retryAfterMs));
  return { status: { code: e.grpcStatus, details: e.message, metadata }, error: e };
}

export { ERROR_CATALOGUE, ERROR_CODES, GRPC_STATUS } from './catalogue.ts';
export type { ErrorCode, GrpcStatusName } from './catalogue.ts';
export {
  CancelledError,
  ConflictError,
  DataLossError,
  FailedPreconditionError,
  InternalError,
  InvalidArgumentError,
  NotFoundError,
  PermissionDeniedError,
  ResourceExhaustedError,
  SluiceError,
  UnauthenticatedError,
  UnavailableError,
  toSluiceError,
} from './errors.ts';
export type { SluiceErrorOptions } from './errors.ts';

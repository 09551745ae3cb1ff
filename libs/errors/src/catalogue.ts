/**
 * The closed list of error codes. Each code is stable once released: never reused,
 * never renumbered, and mapped here, in one table, to the gRPC status and HTTP status
 * every interface answers with. `retriable` tells consumers whether trying again can help.
 */

/** gRPC status codes (grpc/grpc `doc/statuscodes.md`), kept here so this lib needs no transport. */
export const GRPC_STATUS = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;
export type GrpcStatusName = keyof typeof GRPC_STATUS;

interface CodeSpec<G extends GrpcStatusName = GrpcStatusName> {
  readonly grpc: G;
  readonly http: number;
  readonly retriable: boolean;
  readonly summary: string;
}

function spec<G extends GrpcStatusName>(
  grpc: G,
  http: number,
  retriable: boolean,
  summary: string,
): CodeSpec<G> {
  return { grpc, http, retriable, summary };
}

export const ERROR_CATALOGUE = {
  // Bad input: the caller must change the request.
  INVALID_ARGUMENT: spec('INVALID_ARGUMENT', 400, false, 'a request field is missing or malformed'),
  INVALID_CHUNK_NUMBER: spec('INVALID_ARGUMENT', 400, false, 'a chunk number is negative or out of range'),
  MALFORMED_REQUEST: spec('INVALID_ARGUMENT', 400, false, 'a request is not a valid protobuf message'),
  CHECKSUM_MISMATCH: spec(
    'INVALID_ARGUMENT',
    422,
    false,
    'the bytes do not match the checksum sent with them',
  ),
  CHUNK_TOO_LARGE: spec('RESOURCE_EXHAUSTED', 413, false, 'a chunk is larger than one unary call may carry'),
  // Identity and ownership.
  UNAUTHENTICATED: spec('UNAUTHENTICATED', 401, false, 'the API key is missing or unknown'),
  DRIVE_FORBIDDEN: spec('PERMISSION_DENIED', 403, false, 'the drive does not belong to the caller'),
  // Things that are not there.
  UPLOAD_NOT_FOUND: spec('NOT_FOUND', 404, false, 'no such upload for this tenant'),
  DRIVE_NOT_FOUND: spec('NOT_FOUND', 404, false, 'no such drive'),
  ROUTE_NOT_FOUND: spec('NOT_FOUND', 404, false, 'no such HTTP route'),
  // State conflicts.
  CHUNK_CONFLICT: spec('ALREADY_EXISTS', 409, false, 'a chunk with that number holds different bytes'),
  UPLOAD_SEALED: spec('FAILED_PRECONDITION', 409, false, 'the upload is sealed and takes no more chunks'),
  UPLOAD_ABORTED: spec('FAILED_PRECONDITION', 409, false, 'the upload was aborted'),
  UPLOAD_FAILED: spec('FAILED_PRECONDITION', 409, false, 'the upload has failed'),
  UPLOAD_INCOMPLETE: spec('FAILED_PRECONDITION', 409, false, 'chunks are missing for the sealed count'),
  CHUNK_REPLACED_TOO_LATE: spec(
    'FAILED_PRECONDITION',
    409,
    false,
    'a chunk was replaced after a part holding it was stored and the bytes beside it were released',
  ),
  // Back-pressure: try again later.
  STAGING_FULL: spec('RESOURCE_EXHAUSTED', 429, true, 'the staging store is above its high watermark'),
  UPLOAD_STAGING_CAP: spec('RESOURCE_EXHAUSTED', 429, true, "the upload's staged bytes are at their cap"),
  AUTH_THROTTLED: spec('RESOURCE_EXHAUSTED', 429, true, 'too many failed authentications from one address'),
  TENANT_UPLOAD_LIMIT: spec(
    'RESOURCE_EXHAUSTED',
    429,
    true,
    'the tenant has as many uploads open as its limit',
  ),
  TENANT_RATE_LIMIT: spec(
    'RESOURCE_EXHAUSTED',
    429,
    true,
    "the tenant's chunk calls per second are at their limit",
  ),
  TENANT_STAGING_BUDGET: spec(
    'RESOURCE_EXHAUSTED',
    429,
    true,
    "the tenant's staged bytes are at its budget (maxStagedBytes)",
  ),
  STAGING_BUDGET: spec(
    'RESOURCE_EXHAUSTED',
    429,
    true,
    'the staged bytes of every upload together are at the global budget',
  ),
  // Outside systems.
  STAGING_UNAVAILABLE: spec('UNAVAILABLE', 503, true, 'the staging store (Redis) cannot be reached'),
  CHECKSUMS_UNAVAILABLE: spec('UNAVAILABLE', 503, true, 'a thread computing checksums stopped; retry'),
  STAGING_LOST: spec('DATA_LOSS', 410, false, 'staged bytes are gone (the staging store lost them)'),
  EVENTS_UNAVAILABLE: spec('UNAVAILABLE', 503, true, 'the event log (Kafka) cannot be reached'),
  REGISTRY_UNAVAILABLE: spec('UNAVAILABLE', 503, true, 'the schema registry cannot be reached'),
  REGISTRY_REJECTED: spec('INTERNAL', 500, false, 'the schema registry refused a request'),
  STORAGE_UNAVAILABLE: spec('UNAVAILABLE', 503, true, 'the object store failed or throttled; retry'),
  STORAGE_REJECTED: spec('FAILED_PRECONDITION', 502, false, 'the object store refused the request'),
  STORAGE_VERIFY_FAILED: spec('DATA_LOSS', 502, false, 'the stored object does not match what was sent'),
  DATABASE_UNAVAILABLE: spec('UNAVAILABLE', 503, true, 'the database cannot be reached'),
  // Event frames.
  FRAME_INVALID: spec('INVALID_ARGUMENT', 400, false, 'an event frame is malformed'),
  FRAME_UNKNOWN_SCHEMA: spec('FAILED_PRECONDITION', 400, false, 'an event frame names an unknown schema'),
  SCHEMA_INCOMPATIBLE: spec(
    'FAILED_PRECONDITION',
    500,
    false,
    "the schema registry's rules refused a changed schema",
  ),
  REGISTRY_MISMATCH: spec(
    'FAILED_PRECONDITION',
    500,
    false,
    'the schema registry does not hold the schemas stored events were written with',
  ),
  EVENT_INVALID: spec(
    'INVALID_ARGUMENT',
    400,
    false,
    'an event breaks the event contract (a field missing or malformed)',
  ),
  // Process.
  CONFIG_INVALID: spec('FAILED_PRECONDITION', 500, false, 'the configuration is invalid'),
  SHUTTING_DOWN: spec('UNAVAILABLE', 503, true, 'the service is shutting down'),
  INTERNAL: spec('INTERNAL', 500, false, 'an unexpected error'),
  // Clients (@sluice/client and the sluice CLI).
  SERVER_UNAVAILABLE: spec(
    'UNAVAILABLE',
    503,
    true,
    'the Sluice server cannot be reached or did not answer in time',
  ),
  CALL_UNIMPLEMENTED: spec('UNIMPLEMENTED', 501, false, 'the server does not offer this call'),
  CANCELLED: spec('CANCELLED', 499, false, 'the caller cancelled the operation'),
  FILE_NOT_FOUND: spec('NOT_FOUND', 404, false, 'a local file to upload does not exist'),
  SOURCE_UNREADABLE: spec('FAILED_PRECONDITION', 422, false, 'a local file or stream cannot be read'),
  SOURCE_CHANGED: spec('FAILED_PRECONDITION', 409, false, 'the file changed while it was being uploaded'),
  UPLOAD_EXPIRED: spec('FAILED_PRECONDITION', 410, false, 'the upload expired before it completed'),
} as const satisfies Record<string, CodeSpec>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;
export const ERROR_CODES = Object.freeze(Object.keys(ERROR_CATALOGUE) as ErrorCode[]);

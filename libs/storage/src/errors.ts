import { FailedPreconditionError, SluiceError, UnavailableError } from '@sluice/errors';

/** S3 error codes that no retry can fix: the request or the drive must change. */
const PERMANENT = new Set([
  'AccessDenied',
  'AllAccessDisabled',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'NoSuchBucket',
  'InvalidBucketName',
  'EntityTooSmall',
  'EntityTooLarge',
  'InvalidPart',
  'InvalidPartOrder',
  'InvalidArgument',
  'InvalidRequest',
  'MalformedXML',
  'BadDigest',
  'InvalidDigest',
  'KeyTooLongError',
  'MethodNotAllowed',
  'NotImplemented',
  'AccountProblem',
  'InvalidObjectState',
  'XAmzContentSHA256Mismatch',
]);

/** The S3 error code of an SDK error ('' when it is not one). */
export function s3ErrorCode(err: unknown): string {
  const e = err as { name?: unknown; Code?: unknown; code?: unknown } | undefined;
  if (!e) return '';
  if (typeof e.Code === 'string') return e.Code;
  if (typeof e.name === 'string' && e.name !== 'Error' && !/^(TypeError|RangeError)$/.test(e.name))
    return e.name;
  return typeof e.code === 'string' ? e.code : '';
}

/**
 * Turns an S3 SDK error into a Sluice error: permanent refusals (wrong credentials, no
 * bucket, a part too small…) become STORAGE_REJECTED, not retriable, carrying the S3
 * code; everything else (5xx, throttling, timeouts, resets) STORAGE_UNAVAILABLE, retriable.
 */
export function storageError(err: unknown, action: string): SluiceError {
  if (err instanceof SluiceError) return err;
  const code = s3ErrorCode(err);
  const status = (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  const message = err instanceof Error ? err.message : String(err);
  const details = { s3Code: code, httpStatus: status ?? 0 };
  if (
    PERMANENT.has(code) ||
    (status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429)
  ) {
    return new FailedPreconditionError(
      'STORAGE_REJECTED',
      `${action} was refused by the store (${code || status}): ${message}`,
      {
        cause: err,
        details,
      },
    );
  }
  return new UnavailableError(
    'STORAGE_UNAVAILABLE',
    `${action} failed (${code || status || 'no answer'}): ${message}; it will be retried`,
    {
      cause: err,
      details,
    },
  );
}

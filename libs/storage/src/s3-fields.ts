/**
 * How Sluice's values map onto S3 request and answer fields: the checksum field of each
 * algorithm, and which errors mean "not there".
 */
import {
  crc32,
  crc32ToBase64,
  crc32c,
  crc32cToBase64,
  crc64nvme,
  crc64nvmeToBase64,
} from '@sluice/checksums';
import type { ChecksumMode } from '@sluice/proto';
import { s3ErrorCode } from './errors.ts';
import type { BodyCrcs, ChecksumAlgorithm } from './object-store.ts';

/** The `ChecksumAlgorithm` value S3 takes for each algorithm. */
export const S3_ALGORITHM = { crc64nvme: 'CRC64NVME', crc32c: 'CRC32C', crc32: 'CRC32' } as const;

/** The request and answer field that carries each algorithm's checksum. */
export const CHECKSUM_FIELD = {
  crc64nvme: 'ChecksumCRC64NVME',
  crc32c: 'ChecksumCRC32C',
  crc32: 'ChecksumCRC32',
} as const satisfies Record<ChecksumAlgorithm, string>;

/** The checksum of `bytes` in `algorithm`, base64, as a part's or an object's field carries it. */
export function checksumOfBytes(algorithm: ChecksumAlgorithm, bytes: Uint8Array): string {
  switch (algorithm) {
    case 'crc64nvme':
      return crc64nvmeToBase64(crc64nvme(bytes));
    case 'crc32c':
      return crc32cToBase64(crc32c(bytes));
    case 'crc32':
      return crc32ToBase64(crc32(bytes));
  }
}

/** The checksum field of a part or object for the drive's mode (none for `none`). */
export function checksumFields(
  mode: ChecksumMode,
  crcs: BodyCrcs,
): { ChecksumCRC64NVME?: string; ChecksumCRC32C?: string; ChecksumCRC32?: string } {
  switch (mode) {
    case 'crc64nvme':
      return { ChecksumCRC64NVME: crc64nvmeToBase64(crcs.crc64nvme) };
    case 'crc32c':
      return { ChecksumCRC32C: crc32cToBase64(crcs.crc32c) };
    case 'crc32':
      return { ChecksumCRC32: crc32ToBase64(crcs.crc32) };
    default:
      return {};
  }
}

/** True when the SDK error says the object, version (or bucket) is not there. */
export function isNotFound(err: unknown): boolean {
  const code = s3ErrorCode(err);
  const status = (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  return code === 'NotFound' || code === 'NoSuchKey' || code === 'NoSuchVersion' || status === 404;
}

/** The SDK's send options for a call that `signal` may cancel. */
export function opts(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal ? { abortSignal: signal } : {};
}

/** `s3://bucket/key`, for messages. */
export function where(ref: { readonly bucket: string; readonly key: string }): string {
  return `s3://${ref.bucket}/${ref.key}`;
}

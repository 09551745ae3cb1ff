import { ChecksumFormatError } from './errors.ts';
import { crc32cFromBase64 } from './s3-encoding.ts';

const HEX = /^[0-9a-fA-F]{8}$/;

/**
 * A client-sent CRC32C as an unsigned 32-bit number: 8 hex digits (either case), or base64 of
 * its 4 big-endian bytes as S3 writes `x-amz-checksum-crc32c` (8 characters, padded). Anything
 * else throws a ChecksumFormatError naming `field`. As with {@link parseSha256}, an absent value
 * (the empty string) is the caller's to recognise first.
 */
export function parseCrc32c(value: string, field = 'crc32c'): number {
  if (HEX.test(value)) return Number.parseInt(value, 16);
  try {
    return crc32cFromBase64(value, field);
  } catch {
    throw new ChecksumFormatError(
      field,
      `${field} must be a CRC32C as base64 of its 4 big-endian bytes (8 characters, as S3 writes it) ` +
        `or as 8 hex digits; got ${value.length === 0 ? 'an empty string' : `"${value.slice(0, 80)}"`}`,
    );
  }
}

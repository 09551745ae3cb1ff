import { crc32c } from './crc32c.ts';
import { ChecksumFormatError } from './errors.ts';

/**
 * How S3 carries checksums: the base64 of the checksum's big-endian bytes, in a request header
 * (UploadPart, PutObject) or the matching `Checksum*` field (CompleteMultipartUpload).
 */

/** S3's checksum header for each algorithm. */
export const S3_CHECKSUM_HEADERS = Object.freeze({
  crc64nvme: 'x-amz-checksum-crc64nvme',
  crc32c: 'x-amz-checksum-crc32c',
  crc32: 'x-amz-checksum-crc32',
  sha256: 'x-amz-checksum-sha256',
} as const);

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeBase64(value: string, bytes: number, field: string): Buffer {
  const decoded = BASE64.test(value) ? Buffer.from(value, 'base64') : undefined;
  // Re-encoding rejects what Buffer.from tolerates: missing padding, stray bits, wrong length.
  if (decoded?.length !== bytes || decoded.toString('base64') !== value) {
    throw new ChecksumFormatError(
      field,
      `${field} must be the base64 of ${bytes} bytes (${Math.ceil(bytes / 3) * 4} characters); got "${clip(value)}"`,
    );
  }
  return decoded;
}

function clip(value: string): string {
  return value.length > 80 ? `${value.slice(0, 80)}…` : value;
}

/** The `x-amz-checksum-crc64nvme` value for a CRC-64/NVME. */
export function crc64nvmeToBase64(crc: bigint): string {
  if (BigInt.asUintN(64, crc) !== crc) {
    throw new ChecksumFormatError('crc64nvme', `${crc} is not an unsigned 64-bit CRC`);
  }
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(crc);
  return bytes.toString('base64');
}

/** A CRC-64/NVME from its `x-amz-checksum-crc64nvme` value. */
export function crc64nvmeFromBase64(value: string, field: string = S3_CHECKSUM_HEADERS.crc64nvme): bigint {
  return decodeBase64(value, 8, field).readBigUInt64BE();
}

function crc32ToBase64Named(crc: number, name: string): string {
  if (crc >>> 0 !== crc) throw new ChecksumFormatError(name, `${crc} is not an unsigned 32-bit CRC`);
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(crc);
  return bytes.toString('base64');
}

/** The `x-amz-checksum-crc32c` value for a CRC-32C. */
export function crc32cToBase64(crc: number): string {
  return crc32ToBase64Named(crc, 'crc32c');
}

/** A CRC-32C from its `x-amz-checksum-crc32c` value. */
export function crc32cFromBase64(value: string, field: string = S3_CHECKSUM_HEADERS.crc32c): number {
  return decodeBase64(value, 4, field).readUInt32BE();
}

/** The `x-amz-checksum-crc32` value for a CRC-32. */
export function crc32ToBase64(crc: number): string {
  return crc32ToBase64Named(crc, 'crc32');
}

/** A CRC-32 from its `x-amz-checksum-crc32` value. */
export function crc32FromBase64(value: string, field: string = S3_CHECKSUM_HEADERS.crc32): number {
  return decodeBase64(value, 4, field).readUInt32BE();
}

/**
 * The COMPOSITE CRC32C S3 reports for a multipart object: the CRC-32C of the parts' CRC-32C
 * values (big-endian bytes, in part order), base64, then `-` and the part count. Unlike a
 * FULL_OBJECT checksum it depends on where the parts were cut, so it cannot come from chunk CRCs.
 */
export function compositeCrc32cBase64(partCrcs: readonly number[]): string {
  const bytes = Buffer.alloc(partCrcs.length * 4);
  partCrcs.forEach((crc, index) => {
    if (crc >>> 0 !== crc) throw new ChecksumFormatError('crc32c', `${crc} is not an unsigned 32-bit CRC`);
    bytes.writeUInt32BE(crc, index * 4);
  });
  return `${crc32cToBase64(crc32c(bytes))}-${partCrcs.length}`;
}

/** The `x-amz-checksum-sha256` value for a SHA-256 digest. */
export function sha256ToBase64(digest: Uint8Array): string {
  if (digest.length !== 32) {
    throw new ChecksumFormatError('sha256', `a SHA-256 digest has 32 bytes, not ${digest.length}`);
  }
  return Buffer.from(digest.buffer, digest.byteOffset, digest.length).toString('base64');
}

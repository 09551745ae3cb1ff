import { createHash } from 'node:crypto';
import { crc32ToBase64, crc32cToBase64, crc64nvmeToBase64 } from '@sluice/checksums';
import type { ChecksumMode } from '@sluice/proto';
import type { FullObjectChecksum, ObjectHead } from '@sluice/storage';

/** What the object must look like, from AllPartsStored and the parts. */
export interface ExpectedObject {
  readonly size: number;
  readonly crc64nvme: bigint;
  readonly crc32c: number;
  readonly crc32: number;
  /** The drive's checksum mode: CRC32C and CRC32 are only known in their own mode. */
  readonly mode: ChecksumMode;
  /** The exact ETag (a single PutObject's), when known. */
  readonly etag?: string | undefined;
  /** The multipart ETag S3-style stores derive from the part ETags, when computable. */
  readonly multipartEtag?: string | undefined;
}

/** One way the stored object differs from what was sent. */
export interface Mismatch {
  readonly what: 'missing' | 'size' | 'crc64nvme' | 'crc32c' | 'crc32' | 'etag';
  readonly expected: string;
  readonly actual: string;
}

/**
 * Compares HeadObject's answer with what the object must be: the size always; each
 * full-object checksum the store reported and Sluice knows (CRC64NVME is always computed at
 * ingest, so even a drive in mode `none` is checked when its store reports one); the ETag
 * when a single PutObject's is known, or when both sides are S3-style multipart ETags.
 */
export function checkObject(expected: ExpectedObject, head: ObjectHead | undefined): Mismatch[] {
  if (!head) return [{ what: 'missing', expected: `${expected.size} bytes`, actual: 'no object' }];
  const found: Mismatch[] = [];
  if (head.size !== expected.size)
    found.push({ what: 'size', expected: String(expected.size), actual: String(head.size) });
  const compare = (what: 'crc64nvme' | 'crc32c' | 'crc32', want: string): void => {
    const got = head.checksums[what];
    if (got !== undefined && got !== want) found.push({ what, expected: want, actual: got });
  };
  compare('crc64nvme', crc64nvmeToBase64(expected.crc64nvme));
  if (expected.mode === 'crc32c') compare('crc32c', crc32cToBase64(expected.crc32c));
  if (expected.mode === 'crc32') compare('crc32', crc32ToBase64(expected.crc32));
  const etag = head.etag.toLowerCase();
  if (expected.etag !== undefined && expected.etag !== '') {
    if (etag !== expected.etag.toLowerCase())
      found.push({ what: 'etag', expected: expected.etag, actual: head.etag });
  } else if (expected.multipartEtag !== undefined && /^[0-9a-f]{32}-\d+$/.test(etag)) {
    if (etag !== expected.multipartEtag)
      found.push({ what: 'etag', expected: expected.multipartEtag, actual: head.etag });
  }
  return found;
}

/** Says what differs, for logs and the UploadFailed message. */
export function describeMismatches(found: readonly Mismatch[]): string {
  return found.map((m) => `${m.what} is ${m.actual}, expected ${m.expected}`).join('; ');
}

/**
 * The ETag S3 (and MinIO, versitygw…) gives a multipart object: MD5 of the parts' binary
 * MD5s, `-`, the part count. Undefined when a part ETag is not a plain MD5 (encrypted
 * objects, other stores), since nothing can be concluded then.
 */
export function multipartEtag(partEtags: readonly string[]): string | undefined {
  if (partEtags.length === 0 || !partEtags.every((e) => /^[0-9a-f]{32}$/i.test(e))) return undefined;
  const md5 = createHash('md5');
  for (const e of partEtags) md5.update(Buffer.from(e, 'hex'));
  return `${md5.digest('hex')}-${partEtags.length}`;
}

/** The FULL_OBJECT checksum to send with the completion in the drive's mode; none in mode `none`. */
export function fullObjectChecksum(
  mode: ChecksumMode,
  facts: { readonly crc64nvme: bigint; readonly crc32c: number; readonly crc32: number },
): FullObjectChecksum | undefined {
  switch (mode) {
    case 'crc64nvme':
      return { algorithm: mode, base64: crc64nvmeToBase64(facts.crc64nvme) };
    case 'crc32c':
      return { algorithm: mode, base64: crc32cToBase64(facts.crc32c) };
    case 'crc32':
      return { algorithm: mode, base64: crc32ToBase64(facts.crc32) };
    default:
      return undefined;
  }
}

/** A part's checksum in the drive's mode, as CompleteMultipartUpload lists it. */
export function partChecksum(
  mode: ChecksumMode,
  part: { readonly crc64nvme: string; readonly crc32c: number; readonly crc32: number },
): string | undefined {
  return fullObjectChecksum(mode, {
    crc64nvme: BigInt(part.crc64nvme),
    crc32c: part.crc32c,
    crc32: part.crc32,
  })?.base64;
}

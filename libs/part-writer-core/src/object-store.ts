/**
 * The S3 calls of the part-writer, on a client made for the upload's drive. Checksums follow the
 * drive's mode: with crc64nvme, crc32c or crc32 the multipart upload is created with that
 * algorithm and the FULL_OBJECT checksum type (so the assembler can state the whole object's CRC
 * at completion), and every part or single object carries its CRC, which the store verifies
 * against the bytes (BadDigest when they differ). With `none` no checksum is sent.
 *
 * Bodies are the part's pieces as read from Redis, streamed with an exact Content-Length: no
 * concatenated copy of the part is made. Errors come back classified by `storageError`:
 * STORAGE_REJECTED (not retriable, `details.s3Code`) or STORAGE_UNAVAILABLE.
 */
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { crc32ToBase64, crc32cToBase64, crc64nvmeToBase64 } from '@sluice/checksums';
import { storageError } from '@sluice/storage';
import type { ChecksumMode } from '@sluice/proto';
import type { PartCrcs } from './upload-ledger.ts';

/** Where an object goes. */
export interface ObjectTarget {
  readonly bucket: string;
  readonly key: string;
  readonly checksumMode: ChecksumMode;
}

/** Bytes to send: pieces in order and their total length. */
export interface Body {
  readonly pieces: readonly Buffer[];
  readonly length: number;
  readonly crcs: PartCrcs;
}

const ALGORITHMS = { crc64nvme: 'CRC64NVME', crc32c: 'CRC32C', crc32: 'CRC32' } as const;

/** The checksum field of a part or object for the drive's mode (none for `none`). */
export function checksumFields(
  mode: ChecksumMode,
  crcs: PartCrcs,
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

function stream(body: Body): Readable | Buffer {
  // A zero-byte body as a stream would be sent chunked; an empty Buffer is sent as it is.
  return body.length === 0 ? Buffer.alloc(0) : Readable.from(body.pieces, { objectMode: false });
}

function unquote(etag: string | undefined): string {
  return (etag ?? '').replace(/^"+|"+$/g, '');
}

/** Starts a multipart upload; returns its id. */
export async function createMultipartUpload(
  client: S3Client,
  target: ObjectTarget,
  options: { readonly contentType?: string },
): Promise<string> {
  const algorithm = target.checksumMode === 'none' ? undefined : ALGORITHMS[target.checksumMode];
  try {
    const out = await client.send(
      new CreateMultipartUploadCommand({
        Bucket: target.bucket,
        Key: target.key,
        ...(options.contentType ? { ContentType: options.contentType } : {}),
        ...(algorithm ? { ChecksumAlgorithm: algorithm, ChecksumType: 'FULL_OBJECT' } : {}),
      }),
    );
    if (!out.UploadId) throw new Error('the store answered without an UploadId');
    return out.UploadId;
  } catch (err) {
    throw storageError(err, `CreateMultipartUpload of s3://${target.bucket}/${target.key}`);
  }
}

/** Uploads one part; returns its ETag without quotes. */
export async function uploadPart(
  client: S3Client,
  target: ObjectTarget,
  multipartUploadId: string,
  partNumber: number,
  body: Body,
  signal?: AbortSignal,
): Promise<string> {
  try {
    const out = await client.send(
      new UploadPartCommand({
        Bucket: target.bucket,
        Key: target.key,
        UploadId: multipartUploadId,
        PartNumber: partNumber,
        ContentLength: body.length,
        Body: stream(body),
        ...checksumFields(target.checksumMode, body.crcs),
      }),
      { abortSignal: signal },
    );
    return unquote(out.ETag);
  } catch (err) {
    throw storageError(err, `UploadPart ${partNumber} of s3://${target.bucket}/${target.key}`);
  }
}

/** Writes a whole object at once; returns its ETag (without quotes) and version id. */
export async function putObject(
  client: S3Client,
  target: ObjectTarget,
  body: Body,
  options: { readonly contentType?: string },
  signal?: AbortSignal,
): Promise<{ etag: string; versionId: string }> {
  try {
    const out = await client.send(
      new PutObjectCommand({
        Bucket: target.bucket,
        Key: target.key,
        ContentLength: body.length,
        Body: stream(body),
        ...(options.contentType ? { ContentType: options.contentType } : {}),
        ...checksumFields(target.checksumMode, body.crcs),
      }),
      { abortSignal: signal },
    );
    return { etag: unquote(out.ETag), versionId: out.VersionId ?? '' };
  } catch (err) {
    throw storageError(err, `PutObject of s3://${target.bucket}/${target.key}`);
  }
}

/** Aborts a multipart upload; one that is already gone counts as aborted. */
export async function abortMultipartUpload(
  client: S3Client,
  target: Pick<ObjectTarget, 'bucket' | 'key'>,
  multipartUploadId: string,
): Promise<void> {
  try {
    await client.send(
      new AbortMultipartUploadCommand({
        Bucket: target.bucket,
        Key: target.key,
        UploadId: multipartUploadId,
      }),
    );
  } catch (err) {
    const e = storageError(err, `AbortMultipartUpload of s3://${target.bucket}/${target.key}`);
    if (e.details['s3Code'] === 'NoSuchUpload' || e.details['s3Code'] === 'NoSuchBucket') return;
    throw e;
  }
}

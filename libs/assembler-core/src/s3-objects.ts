/**
 * The S3 calls the assembler makes, each turning the SDK's errors into Sluice errors
 * (`storageError`: STORAGE_REJECTED for refusals, STORAGE_UNAVAILABLE for what a retry can
 * fix) and passing an AbortSignal through. The SDK already treats an `<Error>` document in a
 * 200 answer (CompleteMultipartUpload, CopyObject, UploadPartCopy) as a 503, and an empty
 * 200 answer to those as an error, so a failed completion is never mistaken for a success.
 */
import { createHash } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { InternalError, UnavailableError } from '@sluice/errors';
import { s3ErrorCode, storageError } from '@sluice/storage';
import type { ChecksumMode } from '@sluice/proto';
import { stripQuotes } from './outcomes.ts';

/** A multipart upload. */
export interface MultipartRef {
  readonly bucket: string;
  readonly key: string;
  readonly uploadId: string;
}

/** An object, or one version of it ('' for the current one). */
export interface ObjectVersionRef {
  readonly bucket: string;
  readonly key: string;
  readonly versionId: string;
}

/** A part as CompleteMultipartUpload lists it. */
export interface PartToComplete {
  readonly partNumber: number;
  /** Without quotes; sent with them. */
  readonly etag: string;
  /** Base64 checksum of the part in the upload's algorithm; stores that created the upload with one require it. */
  readonly checksum?: string;
}

/** The whole-object checksum sent with the completion (FULL_OBJECT type). */
export interface FullObjectChecksum {
  readonly algorithm: Exclude<ChecksumMode, 'none'>;
  readonly base64: string;
}

export type CompleteResult =
  | { readonly status: 'completed'; readonly etag: string; readonly versionId: string }
  | { readonly status: 'no-such-upload' };

/** What HeadObject said; checksums only when the store reported a full-object one. */
export interface ObjectHead {
  readonly size: number;
  /** Without quotes. */
  readonly etag: string;
  readonly versionId: string;
  readonly checksums: Partial<Record<Exclude<ChecksumMode, 'none'>, string>>;
}

/** A part as ListParts reports it. */
export interface ListedPart extends PartToComplete {
  readonly size: number;
}

/** An unfinished multipart upload. */
export interface ListedMultipartUpload {
  readonly key: string;
  readonly uploadId: string;
  readonly initiated: Date | undefined;
}

function opts(signal: AbortSignal | undefined): { abortSignal?: AbortSignal } {
  return signal ? { abortSignal: signal } : {};
}

function where(ref: { bucket: string; key: string }): string {
  return `s3://${ref.bucket}/${ref.key}`;
}

function isNotFound(err: unknown): boolean {
  const code = s3ErrorCode(err);
  const status = (err as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  return code === 'NotFound' || code === 'NoSuchKey' || code === 'NoSuchVersion' || status === 404;
}

const CHECKSUM_FIELD = {
  crc64nvme: 'ChecksumCRC64NVME',
  crc32c: 'ChecksumCRC32C',
  crc32: 'ChecksumCRC32',
} as const;

/** CompleteMultipartUpload with the parts in ascending order and quoted ETags. */
export async function completeMultipart(
  client: S3Client,
  ref: MultipartRef,
  parts: readonly PartToComplete[],
  checksum: FullObjectChecksum | undefined,
  signal?: AbortSignal,
): Promise<CompleteResult> {
  const algorithm = checksum?.algorithm;
  const listed: CompletedPart[] = [...parts]
    .sort((a, b) => a.partNumber - b.partNumber)
    .map((p) => ({
      PartNumber: p.partNumber,
      ETag: `"${p.etag}"`,
      ...(algorithm && p.checksum ? { [CHECKSUM_FIELD[algorithm]]: p.checksum } : {}),
    }));
  try {
    const out = await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: ref.bucket,
        Key: ref.key,
        UploadId: ref.uploadId,
        MultipartUpload: { Parts: listed },
        ...(checksum
          ? { ChecksumType: 'FULL_OBJECT', [CHECKSUM_FIELD[checksum.algorithm]]: checksum.base64 }
          : {}),
      }),
      opts(signal),
    );
    if (!out.ETag) {
      throw new UnavailableError(
        'STORAGE_UNAVAILABLE',
        `CompleteMultipartUpload of ${where(ref)} answered without an ETag; it will be retried`,
      );
    }
    return { status: 'completed', etag: stripQuotes(out.ETag), versionId: out.VersionId ?? '' };
  } catch (err) {
    if (s3ErrorCode(err) === 'NoSuchUpload') return { status: 'no-such-upload' };
    throw storageError(err, `CompleteMultipartUpload of ${where(ref)}`);
  }
}

/** Every part of a multipart upload (ListParts, all pages), or 'no-such-upload'. */
export async function listAllParts(
  client: S3Client,
  ref: MultipartRef,
  algorithm: ChecksumMode,
  signal?: AbortSignal,
): Promise<ListedPart[] | 'no-such-upload'> {
  const parts: ListedPart[] = [];
  let marker: string | undefined;
  try {
    for (;;) {
      const page = await client.send(
        new ListPartsCommand({
          Bucket: ref.bucket,
          Key: ref.key,
          UploadId: ref.uploadId,
          PartNumberMarker: marker,
        }),
        opts(signal),
      );
      for (const p of page.Parts ?? []) {
        if (p.PartNumber === undefined || !p.ETag) continue;
        const checksum = algorithm === 'none' ? undefined : p[CHECKSUM_FIELD[algorithm]];
        parts.push({
          partNumber: p.PartNumber,
          etag: stripQuotes(p.ETag),
          size: p.Size ?? 0,
          ...(checksum ? { checksum } : {}),
        });
      }
      if (page.IsTruncated !== true || !page.NextPartNumberMarker) return parts;
      marker = page.NextPartNumberMarker;
    }
  } catch (err) {
    if (s3ErrorCode(err) === 'NoSuchUpload') return 'no-such-upload';
    throw storageError(err, `ListParts of ${where(ref)}`);
  }
}

/** HeadObject with checksums requested; undefined when there is no such object (or version). */
export async function headObject(
  client: S3Client,
  ref: ObjectVersionRef,
  signal?: AbortSignal,
): Promise<ObjectHead | undefined> {
  try {
    const out = await client.send(
      new HeadObjectCommand({
        Bucket: ref.bucket,
        Key: ref.key,
        ...(ref.versionId ? { VersionId: ref.versionId } : {}),
        ChecksumMode: 'ENABLED',
      }),
      opts(signal),
    );
    // A COMPOSITE checksum ("…-<parts>") depends on where parts were cut; only full-object ones compare.
    const full = out.ChecksumType !== 'COMPOSITE';
    const checksums: Partial<Record<Exclude<ChecksumMode, 'none'>, string>> = {};
    for (const algorithm of ['crc64nvme', 'crc32c', 'crc32'] as const) {
      const value = out[CHECKSUM_FIELD[algorithm]];
      if (full && value && !value.includes('-')) checksums[algorithm] = value;
    }
    return {
      size: out.ContentLength ?? -1,
      etag: stripQuotes(out.ETag ?? ''),
      versionId: out.VersionId ?? '',
      checksums,
    };
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw storageError(err, `HeadObject of ${where(ref)}`);
  }
}

/** Reads the object back and hashes it as it streams (memory stays at one network buffer). */
export async function sha256OfObject(
  client: S3Client,
  ref: ObjectVersionRef,
  signal?: AbortSignal,
): Promise<{ readonly sha256: Buffer; readonly size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  try {
    const out = await client.send(
      new GetObjectCommand({
        Bucket: ref.bucket,
        Key: ref.key,
        ...(ref.versionId ? { VersionId: ref.versionId } : {}),
      }),
      opts(signal),
    );
    const body = out.Body as AsyncIterable<Uint8Array> | undefined;
    if (!body) throw new InternalError(`GetObject of ${where(ref)} returned no body`);
    for await (const chunk of body) {
      hash.update(chunk);
      size += chunk.length;
    }
  } catch (err) {
    throw storageError(err, `reading ${where(ref)} back to verify its SHA-256`);
  }
  return { sha256: hash.digest(), size };
}

/** Deletes the object version (the current object when versionId is ''); deleting what is gone succeeds. */
export async function deleteObject(
  client: S3Client,
  ref: ObjectVersionRef,
  signal?: AbortSignal,
): Promise<void> {
  try {
    await client.send(
      new DeleteObjectCommand({
        Bucket: ref.bucket,
        Key: ref.key,
        ...(ref.versionId ? { VersionId: ref.versionId } : {}),
      }),
      opts(signal),
    );
  } catch (err) {
    if (isNotFound(err)) return;
    throw storageError(err, `DeleteObject of ${where(ref)}`);
  }
}

/** Options of {@link moveObject}. */
export interface MoveOptions {
  /** Objects larger than this are copied part by part (CopyObject stops at 5 GiB). @default 5 GiB */
  readonly copyLimit?: number;
  /** Part size of the part-by-part copy. @default 512 MiB */
  readonly copyPartSize?: number;
  readonly signal?: AbortSignal;
}

/**
 * Moves an object version to another key of the same bucket: copy, then delete the source.
 * Safe to repeat: when the source is already gone, the move is over.
 */
export async function moveObject(
  client: S3Client,
  ref: ObjectVersionRef & { readonly size: number; readonly to: string },
  options: MoveOptions = {},
): Promise<'moved' | 'gone'> {
  const source = `${ref.bucket}/${encodeURIComponent(ref.key).replaceAll('%2F', '/')}${
    ref.versionId ? `?versionId=${encodeURIComponent(ref.versionId)}` : ''
  }`;
  const target = { bucket: ref.bucket, key: ref.to };
  const copyLimit = options.copyLimit ?? 5 * 1024 ** 3;
  try {
    if (ref.size <= copyLimit) {
      await client.send(
        new CopyObjectCommand({ Bucket: ref.bucket, Key: ref.to, CopySource: source }),
        opts(options.signal),
      );
    } else {
      await copyInParts(
        client,
        source,
        target,
        ref.size,
        options.copyPartSize ?? 512 * 1024 ** 2,
        options.signal,
      );
    }
  } catch (err) {
    if (isNotFound(err)) return 'gone';
    throw storageError(err, `copying ${where(ref)} to ${where(target)}`);
  }
  await deleteObject(client, ref, options.signal);
  return 'moved';
}

async function copyInParts(
  client: S3Client,
  source: string,
  target: { bucket: string; key: string },
  size: number,
  partSize: number,
  signal: AbortSignal | undefined,
): Promise<void> {
  const created = await client.send(
    new CreateMultipartUploadCommand({ Bucket: target.bucket, Key: target.key }),
    opts(signal),
  );
  const uploadId = created.UploadId ?? '';
  try {
    const parts: CompletedPart[] = [];
    for (let start = 0, n = 1; start < size; start += partSize, n++) {
      const end = Math.min(size, start + partSize) - 1;
      const out = await client.send(
        new UploadPartCopyCommand({
          Bucket: target.bucket,
          Key: target.key,
          UploadId: uploadId,
          PartNumber: n,
          CopySource: source,
          CopySourceRange: `bytes=${start}-${end}`,
        }),
        opts(signal),
      );
      parts.push({ PartNumber: n, ETag: out.CopyPartResult?.ETag ?? '' });
    }
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: target.bucket,
        Key: target.key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
      opts(signal),
    );
  } catch (err) {
    await abortMultipart(client, { ...target, uploadId }).catch(() => undefined);
    throw err;
  }
}

/** Aborts a multipart upload; 'gone' when it was already completed or aborted. */
export async function abortMultipart(
  client: S3Client,
  ref: MultipartRef,
  signal?: AbortSignal,
): Promise<'aborted' | 'gone'> {
  try {
    await client.send(
      new AbortMultipartUploadCommand({ Bucket: ref.bucket, Key: ref.key, UploadId: ref.uploadId }),
      opts(signal),
    );
    return 'aborted';
  } catch (err) {
    if (s3ErrorCode(err) === 'NoSuchUpload' || isNotFound(err)) return 'gone';
    throw storageError(err, `AbortMultipartUpload ${ref.uploadId} of ${where(ref)}`);
  }
}

/** Unfinished multipart uploads whose keys start with `prefix`, page by page. */
export async function* listMultipartUploads(
  client: S3Client,
  bucket: string,
  prefix: string,
  signal?: AbortSignal,
): AsyncGenerator<ListedMultipartUpload> {
  let keyMarker: string | undefined;
  let uploadIdMarker: string | undefined;
  for (;;) {
    let page;
    try {
      page = await client.send(
        new ListMultipartUploadsCommand({
          Bucket: bucket,
          Prefix: prefix || undefined,
          KeyMarker: keyMarker,
          UploadIdMarker: uploadIdMarker,
        }),
        opts(signal),
      );
    } catch (err) {
      throw storageError(err, `ListMultipartUploads of s3://${bucket}/${prefix}`);
    }
    for (const u of page.Uploads ?? []) {
      if (u.Key === undefined || u.UploadId === undefined) continue;
      yield { key: u.Key, uploadId: u.UploadId, initiated: u.Initiated };
    }
    if (page.IsTruncated !== true) return;
    keyMarker = page.NextKeyMarker;
    uploadIdMarker = page.NextUploadIdMarker;
  }
}

/**
 * The {@link ObjectStore} on S3 (and S3-compatible servers: versitygw, MinIO…), one instance
 * per drive on the drive's ready-made client.
 *
 * Layout: the object is at the upload's bucket and key; a multipart upload lives beside it
 * under its upload id until it is completed or aborted. Quarantine and part-by-part copies
 * stay in the same bucket.
 *
 * Invariants:
 * - Checksums follow the target's mode. With crc64nvme, crc32c or crc32 the multipart upload is
 *   created with that algorithm and the FULL_OBJECT type; every part and single object carries
 *   its CRC, which the store verifies against the bytes (BadDigest when they differ); the
 *   completion lists each part's checksum and states the whole object's. With `none` nothing is
 *   sent. HeadObject asks for checksums, and only full-object ones are reported (a COMPOSITE one
 *   depends on where parts were cut).
 * - ETags are returned bare and sent quoted (`etag.ts`).
 * - Bodies are streamed from their pieces with an exact Content-Length; no concatenated copy
 *   is made. A zero-byte body is sent as an empty buffer (a stream would go chunked).
 * - Every SDK error goes through `storageError` once: STORAGE_REJECTED (not retriable,
 *   `details.s3Code`) or STORAGE_UNAVAILABLE. NoSuchUpload and not-found answers are results.
 *   The SDK already treats an `<Error>` document in a 200 answer (CompleteMultipartUpload,
 *   CopyObject, UploadPartCopy) as a 503, and an empty 200 answer to those as an error, so a
 *   failed completion is never mistaken for a success.
 * - CopyObject stops at 5 GiB: larger objects are moved part by part (UploadPartCopy).
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { InternalError, UnavailableError } from '@sluice/errors';
import type { ChecksumMode } from '@sluice/proto';
import type { Drive } from '@sluice/tenants';
import { s3ErrorCode, storageError } from './errors.ts';
import { quoteEtag, unquoteEtag } from './etag.ts';
import type {
  CompleteResult,
  FullObjectChecksum,
  ListedMultipartUpload,
  ListedPart,
  MoveRequest,
  MultipartRef,
  ObjectBody,
  ObjectHead,
  ObjectStore,
  ObjectStores,
  ObjectTarget,
  ObjectVersionRef,
  PartToComplete,
} from './object-store.ts';
import { copyObject } from './s3-copy.ts';
import { CHECKSUM_FIELD, S3_ALGORITHM, checksumFields, isNotFound, opts, where } from './s3-fields.ts';

/** Options of {@link S3ObjectStore}. */
export interface S3ObjectStoreOptions {
  /** Objects larger than this are moved part by part (CopyObject stops at 5 GiB). @default 5 GiB */
  readonly copyLimit?: number;
  /** Part size of the part-by-part copy. @default 512 MiB */
  readonly copyPartSize?: number;
}

function stream(body: ObjectBody): Readable | Buffer {
  return body.length === 0 ? Buffer.alloc(0) : Readable.from(body.pieces, { objectMode: false });
}

function version(ref: ObjectVersionRef): { VersionId?: string } {
  // "null" is the version of an object in a bucket without versioning; the current one is meant
  // (moto refuses a request that names it).
  return ref.versionId && ref.versionId !== 'null' ? { VersionId: ref.versionId } : {};
}

/** The S3 adapter of {@link ObjectStore}, on one drive's client. */
export class S3ObjectStore implements ObjectStore {
  readonly #client: S3Client;
  readonly #copyLimit: number;
  readonly #copyPartSize: number;

  constructor(client: S3Client, options: S3ObjectStoreOptions = {}) {
    this.#client = client;
    this.#copyLimit = options.copyLimit ?? 5 * 1024 ** 3;
    this.#copyPartSize = options.copyPartSize ?? 512 * 1024 ** 2;
  }

  async createMultipartUpload(
    target: ObjectTarget,
    options: { readonly contentType?: string } = {},
  ): Promise<string> {
    const algorithm = target.checksumMode === 'none' ? undefined : S3_ALGORITHM[target.checksumMode];
    try {
      const out = await this.#client.send(
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
      throw storageError(err, `CreateMultipartUpload of ${where(target)}`);
    }
  }

  async uploadPart(
    target: ObjectTarget,
    uploadId: string,
    partNumber: number,
    body: ObjectBody,
    signal?: AbortSignal,
  ): Promise<string> {
    try {
      const out = await this.#client.send(
        new UploadPartCommand({
          Bucket: target.bucket,
          Key: target.key,
          UploadId: uploadId,
          PartNumber: partNumber,
          ContentLength: body.length,
          Body: stream(body),
          ...checksumFields(target.checksumMode, body.crcs),
        }),
        { abortSignal: signal },
      );
      return unquoteEtag(out.ETag);
    } catch (err) {
      throw storageError(err, `UploadPart ${partNumber} of ${where(target)}`);
    }
  }

  async putObject(
    target: ObjectTarget,
    body: ObjectBody,
    options: { readonly contentType?: string } = {},
    signal?: AbortSignal,
  ): Promise<{ etag: string; versionId: string }> {
    try {
      const out = await this.#client.send(
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
      return { etag: unquoteEtag(out.ETag), versionId: out.VersionId ?? '' };
    } catch (err) {
      throw storageError(err, `PutObject of ${where(target)}`);
    }
  }

  async completeMultipartUpload(
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
        ETag: quoteEtag(p.etag),
        ...(algorithm && p.checksum ? { [CHECKSUM_FIELD[algorithm]]: p.checksum } : {}),
      }));
    try {
      const out = await this.#client.send(
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
      return { status: 'completed', etag: unquoteEtag(out.ETag), versionId: out.VersionId ?? '' };
    } catch (err) {
      // s3proxy answers a Complete of an upload that is already complete with NoSuchKey (the
      // upload's key is gone), where S3 says NoSuchUpload; either way HeadObject decides next.
      const code = s3ErrorCode(err);
      if (code === 'NoSuchUpload' || code === 'NoSuchKey') return { status: 'no-such-upload' };
      throw storageError(err, `CompleteMultipartUpload of ${where(ref)}`);
    }
  }

  async abortMultipartUpload(ref: MultipartRef, signal?: AbortSignal): Promise<'aborted' | 'gone'> {
    try {
      await this.#client.send(
        new AbortMultipartUploadCommand({ Bucket: ref.bucket, Key: ref.key, UploadId: ref.uploadId }),
        opts(signal),
      );
      return 'aborted';
    } catch (err) {
      const code = s3ErrorCode(err);
      if (code === 'NoSuchUpload' || code === 'NoSuchBucket' || isNotFound(err)) return 'gone';
      throw storageError(err, `AbortMultipartUpload ${ref.uploadId} of ${where(ref)}`);
    }
  }

  async listParts(
    ref: MultipartRef,
    mode: ChecksumMode,
    signal?: AbortSignal,
  ): Promise<ListedPart[] | 'no-such-upload'> {
    const parts: ListedPart[] = [];
    let marker: string | undefined;
    try {
      for (;;) {
        const page = await this.#client.send(
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
          const checksum = mode === 'none' ? undefined : p[CHECKSUM_FIELD[mode]];
          parts.push({
            partNumber: p.PartNumber,
            etag: unquoteEtag(p.ETag),
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

  async *listMultipartUploads(
    bucket: string,
    prefix: string,
    signal?: AbortSignal,
  ): AsyncGenerator<ListedMultipartUpload> {
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    for (;;) {
      let page;
      try {
        page = await this.#client.send(
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

  async headObject(ref: ObjectVersionRef, signal?: AbortSignal): Promise<ObjectHead | undefined> {
    try {
      const request = { Bucket: ref.bucket, Key: ref.key, ...version(ref) };
      // The object's checksums are asked for; a store that implements no checksums (s3proxy)
      // refuses the header with 501 Not Implemented (a HEAD answer has no body to name the
      // error), and is asked again without it.
      const out = await this.#client
        .send(new HeadObjectCommand({ ...request, ChecksumMode: 'ENABLED' }), opts(signal))
        .catch((err: unknown) => {
          const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
          if (status !== 501 && s3ErrorCode(err) !== 'NotImplemented') throw err;
          return this.#client.send(new HeadObjectCommand(request), opts(signal));
        });
      const full = out.ChecksumType !== 'COMPOSITE';
      const checksums: ObjectHead['checksums'] = {};
      for (const algorithm of ['crc64nvme', 'crc32c', 'crc32'] as const) {
        const value = out[CHECKSUM_FIELD[algorithm]];
        if (full && value && !value.includes('-')) checksums[algorithm] = value;
      }
      return {
        size: out.ContentLength ?? -1,
        etag: unquoteEtag(out.ETag),
        versionId: out.VersionId ?? '',
        checksums,
      };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw storageError(err, `HeadObject of ${where(ref)}`);
    }
  }

  async sha256OfObject(
    ref: ObjectVersionRef,
    signal?: AbortSignal,
  ): Promise<{ readonly sha256: Buffer; readonly size: number }> {
    const hash = createHash('sha256');
    let size = 0;
    try {
      const out = await this.#client.send(
        new GetObjectCommand({ Bucket: ref.bucket, Key: ref.key, ...version(ref) }),
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

  async deleteObject(ref: ObjectVersionRef, signal?: AbortSignal): Promise<void> {
    try {
      await this.#client.send(
        new DeleteObjectCommand({ Bucket: ref.bucket, Key: ref.key, ...version(ref) }),
        opts(signal),
      );
    } catch (err) {
      if (isNotFound(err)) return;
      throw storageError(err, `DeleteObject of ${where(ref)}`);
    }
  }

  async moveObject(move: MoveRequest, signal?: AbortSignal): Promise<'moved' | 'gone'> {
    const target = { bucket: move.bucket, key: move.to };
    try {
      await copyObject(this.#client, move, {
        copyLimit: this.#copyLimit,
        copyPartSize: this.#copyPartSize,
        abort: (ref) => this.abortMultipartUpload(ref),
        signal,
      });
    } catch (err) {
      if (isNotFound(err)) return 'gone';
      throw storageError(err, `copying ${where(move)} to ${where(target)}`);
    }
    await this.deleteObject(move, signal);
    return 'moved';
  }
}

/**
 * The object store of each drive, on the client `clients` holds for it (`S3Clients` from this
 * library); one {@link S3ObjectStore} per client.
 */
export function objectStoresOf(
  clients: { for(drive: Drive): S3Client },
  options: S3ObjectStoreOptions = {},
): ObjectStores {
  const stores = new WeakMap<S3Client, S3ObjectStore>();
  return {
    for(drive: Drive): ObjectStore {
      const client = clients.for(drive);
      let store = stores.get(client);
      if (!store) {
        store = new S3ObjectStore(client, options);
        stores.set(client, store);
      }
      return store;
    },
  };
}

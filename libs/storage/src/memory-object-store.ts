/**
 * The {@link ObjectStore} in memory, for unit tests: it keeps the rules of S3 that Sluice's code
 * depends on, so a test against it fails where S3 would.
 *
 * Layout: buckets (created with `createBucket`) hold objects by key, and multipart uploads by id.
 * Buckets are unversioned: every versionId answered is '', and a versionId asked for other than ''
 * finds nothing.
 *
 * Invariants, as S3 keeps them:
 * - ETags are MD5 hex of the bytes; a completed multipart object's is the MD5 of its parts'
 *   binary MD5s, `-`, the part count.
 * - A part or object sent with a checksum (the target's mode) is refused with BadDigest when the
 *   checksum does not match the bytes. A multipart upload created with an algorithm keeps each
 *   part's checksum and the object's full-object one; a completion that states another is refused.
 * - Completion takes the parts listed, in order: each must exist with that ETag (InvalidPart), and
 *   each but the last must hold at least `minPartSize` bytes (EntityTooSmall). Afterwards, and
 *   after an abort, the upload id is unknown (NoSuchUpload).
 * - Refusals are the errors `storageError` makes of S3's, with the same S3 codes.
 */
import { createHash, randomUUID } from 'node:crypto';
import { crc32ToBase64, crc32cToBase64, crc64nvmeToBase64 } from '@sluice/checksums';
import type { SluiceError } from '@sluice/errors';
import type { ChecksumMode } from '@sluice/proto';
import { storageError } from './errors.ts';
import { checksumOfBytes } from './s3-fields.ts';
import type {
  ChecksumAlgorithm,
  CompleteResult,
  FullObjectChecksum,
  ListedMultipartUpload,
  ListedPart,
  MoveRequest,
  MultipartRef,
  ObjectBody,
  ObjectHead,
  ObjectStore,
  ObjectTarget,
  ObjectVersionRef,
  PartToComplete,
} from './object-store.ts';

/** Options of {@link MemoryObjectStore}. */
export interface MemoryObjectStoreOptions {
  /** The smallest size of every part but the last of a completion. @default 5 MiB (S3's) */
  readonly minPartSize?: number;
  /** Clock of `initiated`. @default Date.now */
  readonly now?: () => number;
}

interface StoredObject {
  readonly bytes: Buffer;
  readonly etag: string;
  readonly contentType: string;
  readonly checksums: Partial<Record<ChecksumAlgorithm, string>>;
}

interface StoredPart {
  readonly bytes: Buffer;
  readonly etag: string;
  readonly checksum: string | undefined;
}

interface Upload {
  readonly key: string;
  readonly algorithm: ChecksumAlgorithm | undefined;
  readonly contentType: string;
  readonly initiated: Date;
  readonly parts: Map<number, StoredPart>;
}

interface Bucket {
  readonly objects: Map<string, StoredObject>;
  readonly uploads: Map<string, Upload>;
}

function md5(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

function declared(mode: ChecksumMode, body: ObjectBody): string | undefined {
  switch (mode) {
    case 'crc64nvme':
      return crc64nvmeToBase64(body.crcs.crc64nvme);
    case 'crc32c':
      return crc32cToBase64(body.crcs.crc32c);
    case 'crc32':
      return crc32ToBase64(body.crcs.crc32);
    default:
      return undefined;
  }
}

/** The refusal S3 would answer with `code` and `status`, as `storageError` classifies it. */
function refused(code: string, status: number, action: string, message: string): SluiceError {
  return storageError(
    Object.assign(new Error(message), { name: code, $metadata: { httpStatusCode: status } }),
    action,
  );
}

function where(ref: { readonly bucket: string; readonly key: string }): string {
  return `s3://${ref.bucket}/${ref.key}`;
}

/** The in-memory adapter of {@link ObjectStore}. */
export class MemoryObjectStore implements ObjectStore {
  readonly #buckets = new Map<string, Bucket>();
  readonly #minPartSize: number;
  readonly #now: () => number;

  constructor(options: MemoryObjectStoreOptions = {}) {
    this.#minPartSize = options.minPartSize ?? 5 * 1024 * 1024;
    this.#now = options.now ?? Date.now;
  }

  /** Creates an empty bucket (nothing when it exists). */
  createBucket(name: string): void {
    if (!this.#buckets.has(name)) this.#buckets.set(name, { objects: new Map(), uploads: new Map() });
  }

  createMultipartUpload(
    target: ObjectTarget,
    options: { readonly contentType?: string } = {},
  ): Promise<string> {
    const action = `CreateMultipartUpload of ${where(target)}`;
    return this.#run(action, undefined, () => {
      const uploadId = randomUUID();
      this.#bucket(target.bucket, action).uploads.set(uploadId, {
        key: target.key,
        algorithm: target.checksumMode === 'none' ? undefined : target.checksumMode,
        contentType: options.contentType ?? '',
        initiated: new Date(this.#now()),
        parts: new Map(),
      });
      return uploadId;
    });
  }

  uploadPart(
    target: ObjectTarget,
    uploadId: string,
    partNumber: number,
    body: ObjectBody,
    signal?: AbortSignal,
  ): Promise<string> {
    const action = `UploadPart ${partNumber} of ${where(target)}`;
    return this.#run(action, signal, () => {
      const upload = this.#upload({ ...target, uploadId }, action);
      if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > 10_000) {
        throw refused('InvalidArgument', 400, action, `part number ${partNumber} is not in 1…10000`);
      }
      const bytes = this.#bytes(target.checksumMode, body, action);
      const checksum = upload.algorithm && checksumOfBytes(upload.algorithm, bytes);
      const etag = md5(bytes);
      upload.parts.set(partNumber, { bytes, etag, checksum });
      return etag;
    });
  }

  putObject(
    target: ObjectTarget,
    body: ObjectBody,
    options: { readonly contentType?: string } = {},
    signal?: AbortSignal,
  ): Promise<{ etag: string; versionId: string }> {
    const action = `PutObject of ${where(target)}`;
    return this.#run(action, signal, () => {
      const bucket = this.#bucket(target.bucket, action);
      const bytes = this.#bytes(target.checksumMode, body, action);
      const mode = target.checksumMode;
      const etag = md5(bytes);
      bucket.objects.set(target.key, {
        bytes,
        etag,
        contentType: options.contentType ?? '',
        checksums: mode === 'none' ? {} : { [mode]: checksumOfBytes(mode, bytes) },
      });
      return { etag, versionId: '' };
    });
  }

  completeMultipartUpload(
    ref: MultipartRef,
    parts: readonly PartToComplete[],
    checksum: FullObjectChecksum | undefined,
    signal?: AbortSignal,
  ): Promise<CompleteResult> {
    const action = `CompleteMultipartUpload of ${where(ref)}`;
    return this.#run(action, signal, (): CompleteResult => {
      const bucket = this.#bucket(ref.bucket, action);
      const upload = bucket.uploads.get(ref.uploadId);
      if (!upload || upload.key !== ref.key) return { status: 'no-such-upload' };
      const listed = [...parts].sort((a, b) => a.partNumber - b.partNumber);
      if (listed.length === 0) throw refused('MalformedXML', 400, action, 'the completion lists no part');
      const chosen = listed.map((p, i) => {
        const part = upload.parts.get(p.partNumber);
        if (!part || part.etag !== p.etag.toLowerCase() || listed[i - 1]?.partNumber === p.partNumber) {
          throw refused(
            'InvalidPart',
            400,
            action,
            `part ${p.partNumber} with ETag ${p.etag} was not uploaded`,
          );
        }
        if (p.checksum !== undefined && part.checksum !== undefined && p.checksum !== part.checksum) {
          throw refused('InvalidPart', 400, action, `the checksum of part ${p.partNumber} does not match`);
        }
        if (i < listed.length - 1 && part.bytes.length < this.#minPartSize) {
          throw refused(
            'EntityTooSmall',
            400,
            action,
            `part ${p.partNumber} holds ${part.bytes.length} bytes; all but the last need ${this.#minPartSize}`,
          );
        }
        return part;
      });
      const bytes = Buffer.concat(chosen.map((p) => p.bytes));
      const checksums: Partial<Record<ChecksumAlgorithm, string>> = {};
      if (checksum && checksum.algorithm !== upload.algorithm) {
        throw refused(
          'InvalidRequest',
          400,
          action,
          `the upload was created with ${upload.algorithm ?? 'no'} checksum, not ${checksum.algorithm}`,
        );
      }
      if (upload.algorithm) {
        checksums[upload.algorithm] = checksumOfBytes(upload.algorithm, bytes);
        if (checksum && checksum.base64 !== checksums[upload.algorithm]) {
          throw refused('BadDigest', 400, action, `the ${checksum.algorithm} of the object does not match`);
        }
      }
      const whole = createHash('md5');
      for (const p of chosen) whole.update(Buffer.from(p.etag, 'hex'));
      const etag = `${whole.digest('hex')}-${chosen.length}`;
      bucket.objects.set(ref.key, { bytes, etag, contentType: upload.contentType, checksums });
      bucket.uploads.delete(ref.uploadId);
      return { status: 'completed', etag, versionId: '' };
    });
  }

  abortMultipartUpload(ref: MultipartRef, signal?: AbortSignal): Promise<'aborted' | 'gone'> {
    return this.#run(`AbortMultipartUpload ${ref.uploadId} of ${where(ref)}`, signal, () => {
      const bucket = this.#buckets.get(ref.bucket);
      if (bucket?.uploads.get(ref.uploadId)?.key !== ref.key) return 'gone';
      bucket.uploads.delete(ref.uploadId);
      return 'aborted';
    });
  }

  listParts(
    ref: MultipartRef,
    mode: ChecksumMode,
    signal?: AbortSignal,
  ): Promise<ListedPart[] | 'no-such-upload'> {
    const action = `ListParts of ${where(ref)}`;
    return this.#run(action, signal, () => {
      const upload = this.#bucket(ref.bucket, action).uploads.get(ref.uploadId);
      if (upload?.key !== ref.key) return 'no-such-upload';
      return [...upload.parts.entries()]
        .sort(([a], [b]) => a - b)
        .map(([partNumber, p]) => ({
          partNumber,
          etag: p.etag,
          size: p.bytes.length,
          ...(p.checksum && mode === upload.algorithm ? { checksum: p.checksum } : {}),
        }));
    });
  }

  async *listMultipartUploads(
    bucket: string,
    prefix: string,
    signal?: AbortSignal,
  ): AsyncGenerator<ListedMultipartUpload> {
    const action = `ListMultipartUploads of s3://${bucket}/${prefix}`;
    const found = await this.#run(action, signal, () =>
      [...this.#bucket(bucket, action).uploads.entries()]
        .filter(([, u]) => u.key.startsWith(prefix))
        .map(([uploadId, u]) => ({ key: u.key, uploadId, initiated: u.initiated }))
        .sort((a, b) =>
          a.key < b.key ? -1 : a.key > b.key ? 1 : a.initiated.getTime() - b.initiated.getTime(),
        ),
    );
    yield* found;
  }

  headObject(ref: ObjectVersionRef, signal?: AbortSignal): Promise<ObjectHead | undefined> {
    return this.#run(`HeadObject of ${where(ref)}`, signal, () => {
      const object = this.#object(ref);
      return (
        object && {
          size: object.bytes.length,
          etag: object.etag,
          versionId: '',
          checksums: { ...object.checksums },
        }
      );
    });
  }

  sha256OfObject(
    ref: ObjectVersionRef,
    signal?: AbortSignal,
  ): Promise<{ readonly sha256: Buffer; readonly size: number }> {
    const action = `reading ${where(ref)} back to verify its SHA-256`;
    return this.#run(action, signal, () => {
      const object = this.#object(ref);
      if (!object) throw refused('NoSuchKey', 404, action, 'The specified key does not exist.');
      return { sha256: createHash('sha256').update(object.bytes).digest(), size: object.bytes.length };
    });
  }

  deleteObject(ref: ObjectVersionRef, signal?: AbortSignal): Promise<void> {
    return this.#run(`DeleteObject of ${where(ref)}`, signal, () => {
      if (this.#object(ref)) this.#buckets.get(ref.bucket)?.objects.delete(ref.key);
    });
  }

  async moveObject(move: MoveRequest, signal?: AbortSignal): Promise<'moved' | 'gone'> {
    const copied = await this.#run(
      `copying ${where(move)} to ${where({ ...move, key: move.to })}`,
      signal,
      () => {
        const object = this.#object(move);
        if (!object) return false;
        // CopyObject gives the copy the ETag of its bytes, even when the source was multipart.
        this.#buckets.get(move.bucket)?.objects.set(move.to, { ...object, etag: md5(object.bytes) });
        return true;
      },
    );
    if (!copied) return 'gone';
    await this.deleteObject(move, signal);
    return 'moved';
  }

  /** Runs `work` as one request: an aborted signal fails it as the SDK's abort would. */
  async #run<T>(action: string, signal: AbortSignal | undefined, work: () => T): Promise<T> {
    await Promise.resolve();
    if (signal?.aborted) throw storageError(signal.reason, action);
    return work();
  }

  #bucket(name: string, action: string): Bucket {
    const bucket = this.#buckets.get(name);
    if (!bucket) throw refused('NoSuchBucket', 404, action, `The specified bucket ${name} does not exist`);
    return bucket;
  }

  #upload(ref: MultipartRef, action: string): Upload {
    const upload = this.#bucket(ref.bucket, action).uploads.get(ref.uploadId);
    if (upload?.key !== ref.key) {
      throw refused(
        'NoSuchUpload',
        404,
        action,
        `The specified multipart upload ${ref.uploadId} does not exist`,
      );
    }
    return upload;
  }

  #object(ref: ObjectVersionRef): StoredObject | undefined {
    if (ref.versionId !== '') return undefined;
    return this.#buckets.get(ref.bucket)?.objects.get(ref.key);
  }

  /** The body's bytes, refused as S3 would when they contradict its length or checksum. */
  #bytes(mode: ChecksumMode, body: ObjectBody, action: string): Buffer {
    const bytes = Buffer.concat(body.pieces);
    if (bytes.length !== body.length) {
      throw refused('IncompleteBody', 400, action, `${bytes.length} bytes sent of ${body.length} announced`);
    }
    const sent = declared(mode, body);
    if (mode !== 'none' && sent !== checksumOfBytes(mode, bytes)) {
      throw refused('BadDigest', 400, action, `the ${mode} checksum sent does not match the bytes`);
    }
    return bytes;
  }
}

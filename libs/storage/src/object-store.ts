/**
 * What Sluice needs of an object store, in its own terms: the part-writer creates multipart
 * uploads, uploads parts and puts single objects; the assembler completes, lists, heads, reads
 * back, moves, deletes and aborts. {@link S3ObjectStore} is the S3 adapter, and
 * {@link MemoryObjectStore} the in-memory one for unit tests; `test/object-store.suite.ts`
 * holds both to the same behaviour.
 *
 * Conventions every adapter keeps:
 * - ETags cross this interface bare (no quotes), both ways.
 * - Failures are Sluice errors: STORAGE_REJECTED (not retriable, `details.s3Code` carries the
 *   store's code) for refusals, STORAGE_UNAVAILABLE (retriable) for what a retry can fix.
 * - What is already gone is an answer, not an error: a multipart upload that was completed or
 *   aborted is `'no-such-upload'` or `'gone'`, a missing object is `undefined` or `'gone'`.
 * - A versionId of `''` means the current version (and, in answers, an unversioned bucket).
 */
import type { ChecksumMode } from '@sluice/proto';
import type { Drive } from '@sluice/tenants';

/** A checksum algorithm the store can verify (every {@link ChecksumMode} but `none`). */
export type ChecksumAlgorithm = Exclude<ChecksumMode, 'none'>;

/** Where an object goes, and which checksum its parts and body carry. */
export interface ObjectTarget {
  readonly bucket: string;
  readonly key: string;
  readonly checksumMode: ChecksumMode;
}

/** The CRCs of a body; only the one of the target's checksum mode is sent. */
export interface BodyCrcs {
  readonly crc64nvme: bigint;
  readonly crc32c: number;
  readonly crc32: number;
}

/** Bytes to send: pieces in order (never concatenated), their total length and CRCs. */
export interface ObjectBody {
  readonly pieces: readonly Buffer[];
  readonly length: number;
  readonly crcs: BodyCrcs;
}

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

/** A part as a completion lists it. */
export interface PartToComplete {
  readonly partNumber: number;
  /** Bare. */
  readonly etag: string;
  /** Base64 checksum of the part in the upload's algorithm; stores that created the upload with one require it. */
  readonly checksum?: string;
}

/** The whole-object checksum sent with the completion (FULL_OBJECT type). */
export interface FullObjectChecksum {
  readonly algorithm: ChecksumAlgorithm;
  readonly base64: string;
}

/** What a completion did: the object's bare ETag and version, or the upload was not there. */
export type CompleteResult =
  | { readonly status: 'completed'; readonly etag: string; readonly versionId: string }
  | { readonly status: 'no-such-upload' };

/** What the store says of an object; checksums only when it reported a full-object one. */
export interface ObjectHead {
  readonly size: number;
  /** Bare. */
  readonly etag: string;
  readonly versionId: string;
  readonly checksums: Partial<Record<ChecksumAlgorithm, string>>;
}

/** A part as the store lists it. */
export interface ListedPart extends PartToComplete {
  readonly size: number;
}

/** An unfinished multipart upload. */
export interface ListedMultipartUpload {
  readonly key: string;
  readonly uploadId: string;
  readonly initiated: Date | undefined;
}

/** An object version to move, its size (which decides how it is copied) and the key it goes to. */
export interface MoveRequest extends ObjectVersionRef {
  readonly size: number;
  /** The key it is moved to, in the same bucket. */
  readonly to: string;
}

/** One bucket-holding store (one drive's endpoint and credentials). */
export interface ObjectStore {
  /**
   * Starts a multipart upload; returns its id. With a checksum mode other than `none` the upload
   * is created with that algorithm and the FULL_OBJECT type, so the completion can state the
   * whole object's checksum.
   */
  createMultipartUpload(target: ObjectTarget, options?: { readonly contentType?: string }): Promise<string>;

  /**
   * Uploads one part (1…10000) with the checksum of the target's mode, which the store checks
   * against the bytes; returns the part's bare ETag. Uploading a part number again replaces it.
   */
  uploadPart(
    target: ObjectTarget,
    uploadId: string,
    partNumber: number,
    body: ObjectBody,
    signal?: AbortSignal,
  ): Promise<string>;

  /** Writes a whole object at once, with the checksum of the target's mode; returns its bare ETag and version. */
  putObject(
    target: ObjectTarget,
    body: ObjectBody,
    options?: { readonly contentType?: string },
    signal?: AbortSignal,
  ): Promise<{ readonly etag: string; readonly versionId: string }>;

  /**
   * Completes a multipart upload from `parts` (sent in ascending order, whatever order they come
   * in) and, when given, the whole object's checksum. `no-such-upload` when the upload was already
   * completed or aborted; a part that is missing, too small or of another ETag is STORAGE_REJECTED.
   */
  completeMultipartUpload(
    ref: MultipartRef,
    parts: readonly PartToComplete[],
    checksum: FullObjectChecksum | undefined,
    signal?: AbortSignal,
  ): Promise<CompleteResult>;

  /** Aborts a multipart upload; `gone` when it was already completed or aborted (or its bucket is gone). */
  abortMultipartUpload(ref: MultipartRef, signal?: AbortSignal): Promise<'aborted' | 'gone'>;

  /**
   * Every part of a multipart upload in ascending order, each with its checksum in `mode` when the
   * store kept one; `no-such-upload` when the upload was completed or aborted.
   */
  listParts(
    ref: MultipartRef,
    mode: ChecksumMode,
    signal?: AbortSignal,
  ): Promise<ListedPart[] | 'no-such-upload'>;

  /** Unfinished multipart uploads of `bucket` whose keys start with `prefix` ('' for all). */
  listMultipartUploads(
    bucket: string,
    prefix: string,
    signal?: AbortSignal,
  ): AsyncGenerator<ListedMultipartUpload>;

  /** Size, ETag, version and full-object checksums of an object; undefined when there is no such object (or version). */
  headObject(ref: ObjectVersionRef, signal?: AbortSignal): Promise<ObjectHead | undefined>;

  /** Reads the object back and hashes it as it streams (memory stays at one network buffer). */
  sha256OfObject(
    ref: ObjectVersionRef,
    signal?: AbortSignal,
  ): Promise<{ readonly sha256: Buffer; readonly size: number }>;

  /** Deletes the object version (the current object when versionId is ''); deleting what is gone succeeds. */
  deleteObject(ref: ObjectVersionRef, signal?: AbortSignal): Promise<void>;

  /**
   * Moves an object version to another key of the same bucket: copy, then delete the source.
   * Safe to repeat: when the source is already gone, the move is over (`gone`).
   */
  moveObject(move: MoveRequest, signal?: AbortSignal): Promise<'moved' | 'gone'>;
}

/** The object store of each drive (`objectStoresOf` builds them on `S3Clients`). */
export interface ObjectStores {
  for(drive: Drive): ObjectStore;
}

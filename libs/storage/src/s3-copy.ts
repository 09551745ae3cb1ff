/**
 * Copying an object version to another key of its bucket: one CopyObject up to the copy limit
 * (S3's stops at 5 GiB), part by part with UploadPartCopy above it. Errors are the SDK's, for
 * the caller to classify; a part-by-part copy that fails is aborted first.
 */
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  UploadPartCopyCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { quoteEtag } from './etag.ts';
import type { MoveRequest, MultipartRef } from './object-store.ts';
import { opts } from './s3-fields.ts';

/** How {@link copyObject} copies. */
export interface CopyOptions {
  readonly copyLimit: number;
  readonly copyPartSize: number;
  /** Aborts the multipart upload of a part-by-part copy that failed. */
  readonly abort: (ref: MultipartRef) => Promise<unknown>;
  readonly signal: AbortSignal | undefined;
}

/** Copies `move`'s version to `move.to` in the same bucket. */
export async function copyObject(client: S3Client, move: MoveRequest, options: CopyOptions): Promise<void> {
  const source = `${move.bucket}/${encodeURIComponent(move.key).replaceAll('%2F', '/')}${
    move.versionId ? `?versionId=${encodeURIComponent(move.versionId)}` : ''
  }`;
  if (move.size <= options.copyLimit) {
    await client.send(
      new CopyObjectCommand({ Bucket: move.bucket, Key: move.to, CopySource: source }),
      opts(options.signal),
    );
    return;
  }
  const target = { bucket: move.bucket, key: move.to };
  const created = await client.send(
    new CreateMultipartUploadCommand({ Bucket: target.bucket, Key: target.key }),
    opts(options.signal),
  );
  const uploadId = created.UploadId ?? '';
  try {
    const parts: CompletedPart[] = [];
    for (let start = 0, n = 1; start < move.size; start += options.copyPartSize, n++) {
      const end = Math.min(move.size, start + options.copyPartSize) - 1;
      const out = await client.send(
        new UploadPartCopyCommand({
          Bucket: target.bucket,
          Key: target.key,
          UploadId: uploadId,
          PartNumber: n,
          CopySource: source,
          CopySourceRange: `bytes=${start}-${end}`,
        }),
        opts(options.signal),
      );
      parts.push({ PartNumber: n, ETag: quoteEtag(out.CopyPartResult?.ETag ?? '') });
    }
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: target.bucket,
        Key: target.key,
        UploadId: uploadId,
        MultipartUpload: { Parts: parts },
      }),
      opts(options.signal),
    );
  } catch (err) {
    await options.abort({ ...target, uploadId }).catch(() => undefined);
    throw err;
  }
}

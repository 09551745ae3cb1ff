/**
 * The peers Sluice is compared with, on the same files and the same S3 server in the same
 * run: `@aws-sdk/lib-storage` Upload straight to S3 (no staging, no events), and a tus server
 * fed by `tus-js-client`. Each resolves when the object is complete in S3.
 */
import { performance } from 'node:perf_hooks';
import { Upload } from '@aws-sdk/lib-storage';
import type { S3Client } from '@aws-sdk/client-s3';
import * as tus from 'tus-js-client';

/** S3's smallest part but the last: lib-storage refuses anything smaller. */
export const S3_MIN_PART = 5 * 1024 * 1024;

/** One lib-storage upload with `queueSize` parts in flight; seconds taken. */
export async function libStorageUpload(
  s3: S3Client,
  bucket: string,
  key: string,
  data: Buffer,
  partSize: number,
  queueSize: number,
): Promise<number> {
  const t0 = performance.now();
  await new Upload({
    client: s3,
    params: { Bucket: bucket, Key: key, Body: data },
    partSize: Math.max(S3_MIN_PART, partSize),
    queueSize,
  }).done();
  return (performance.now() - t0) / 1000;
}

/**
 * One tus upload of `data` in PATCH requests of `chunkSize`; seconds taken. tus appends at an
 * offset, so one upload is sequential whatever the client concurrency (parallel uploads need
 * the concatenation extension, which @tus/s3-store does not offer).
 */
export function tusUpload(endpoint: string, data: Buffer, chunkSize: number): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const upload = new tus.Upload(data, {
      endpoint,
      chunkSize,
      uploadSize: data.length,
      retryDelays: [0, 500, 1000],
      metadata: { filename: 'bench.bin' },
      onError: reject,
      onSuccess: () => resolve((performance.now() - t0) / 1000),
    });
    upload.start();
  });
}

/**
 * S3 for tests: a client for the local (or configured) server, and buckets that belong to
 * one test. A test bucket is emptied — objects and unfinished multipart uploads — and
 * deleted when the test ends, so a failed test leaves nothing behind on the server.
 */
import {
  AbortMultipartUploadCommand,
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { s3Settings, type Env } from './endpoints.ts';
import { uniqueName, type AfterHook } from './names.ts';

/**
 * An S3 client for the configured server: path-style addressing (S3-compatible servers on
 * 127.0.0.1 have no per-bucket host names) and the `SLUICE_S3_*` credentials.
 * `overrides` win over those settings.
 */
export function s3Client(overrides: Partial<S3ClientConfig> = {}, env: Env = process.env): S3Client {
  const settings = s3Settings(env);
  return new S3Client({
    endpoint: settings.endpoint,
    region: settings.region,
    forcePathStyle: true,
    credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey },
    ...overrides,
  });
}

/** A bucket made for one test, and the client that made it. */
export interface TestBucket {
  readonly bucket: string;
  /** Closed when the test ends. */
  readonly client: S3Client;
}

/** Creates a uniquely named bucket that is emptied and deleted after the test. */
export async function createBucket(
  t: AfterHook,
  options: { readonly prefix?: string } = {},
): Promise<TestBucket> {
  const client = s3Client();
  // Bucket names allow lowercase letters, digits and hyphens, at most 63 characters.
  const bucket = uniqueName(options.prefix ?? 'test')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .slice(0, 63);
  t.after(async () => {
    try {
      await emptyBucket(client, bucket);
      await client.send(new DeleteBucketCommand({ Bucket: bucket }));
    } finally {
      client.destroy();
    }
  });
  await client.send(new CreateBucketCommand({ Bucket: bucket }));
  return { bucket, client };
}

/**
 * Deletes every object and aborts every multipart upload in a bucket, or under `prefix` in it;
 * on a store that refuses DeleteObjects (s3proxy), one object at a time ({@link emptyBucketEach}).
 */
export async function emptyBucket(client: S3Client, bucket: string, prefix = ''): Promise<void> {
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    const keys = (page.Contents ?? []).flatMap((object) =>
      object.Key === undefined ? [] : [{ Key: object.Key }],
    );
    if (keys.length > 0) {
      const refused = await client
        .send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }))
        .then(
          () => false,
          () => true,
        );
      if (refused) return emptyBucketEach(client, bucket, prefix);
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);

  const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  for (const upload of uploads.Uploads ?? []) {
    if (upload.Key === undefined || upload.UploadId === undefined) continue;
    await client.send(
      new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }),
    );
  }
}

/**
 * The variable through which the S3 matrix (`infra/local/s3-matrix.sh`) hands a suite what the
 * probe found on the store `SLUICE_S3_ENDPOINT` points at: the JSON of a `StoreReport`
 * (@sluice/storage). Unset, a suite assumes a store that does what S3 does (versitygw).
 */
export const S3_STORE_REPORT_ENV = 'SLUICE_S3_STORE_REPORT';

/**
 * Deletes every object under `prefix` one DeleteObject at a time, and aborts every multipart
 * upload there: s3proxy refuses DeleteObjects (501, for the CRC32 checksum the SDK must send
 * with it), which {@link emptyBucket} uses.
 */
export async function emptyBucketEach(client: S3Client, bucket: string, prefix = ''): Promise<void> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const object of page.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  // Last first: s3proxy's filesystem lists a directory `a/` before `a/b`, and takes 10 s to give
  // up deleting it while `a/b` is still there.
  for (const key of keys.reverse()) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));

  const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  for (const upload of uploads.Uploads ?? []) {
    if (upload.Key === undefined || upload.UploadId === undefined) continue;
    await client.send(
      new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }),
    );
  }
}

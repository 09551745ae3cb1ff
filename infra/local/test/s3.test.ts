import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { before, test } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadBucketCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createBucket, requireServices, s3Client, s3Settings } from '@sluice/testing';

before(() => requireServices(['s3']));

const MiB = 1024 * 1024;

async function multipart(
  client: S3Client,
  bucket: string,
  key: string,
  parts: readonly Buffer[],
): Promise<void> {
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
  assert.ok(UploadId !== undefined);
  const completed = [];
  for (const [index, body] of parts.entries()) {
    const PartNumber = index + 1;
    const { ETag } = await client.send(
      new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber, Body: body }),
    );
    completed.push({ PartNumber, ETag });
  }
  await client.send(
    new CompleteMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      UploadId,
      MultipartUpload: { Parts: completed },
    }),
  );
}

test('the bucket `up` provisions exists', async () => {
  const client = s3Client();
  try {
    await client.send(new HeadBucketCommand({ Bucket: s3Settings().bucket }));
  } finally {
    client.destroy();
  }
});

test('a multipart upload of a 5 MiB part and a small last part completes into one object', async (t) => {
  const { client, bucket } = await createBucket(t);
  const parts = [randomBytes(5 * MiB), randomBytes(1234)];
  await multipart(client, bucket, 'file.bin', parts);

  const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: 'file.bin' }));
  const bytes = Buffer.from(await object.Body!.transformToByteArray());
  assert.equal(bytes.length, 5 * MiB + 1234);
  const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
  assert.equal(sha(bytes), sha(Buffer.concat(parts)));
});

test('a 1 MiB part that is not the last is refused with EntityTooSmall', async (t) => {
  const { client, bucket } = await createBucket(t);
  await assert.rejects(
    multipart(client, bucket, 'small.bin', [randomBytes(MiB), randomBytes(10)]),
    (error: Error) => {
      assert.equal(
        error.name,
        'EntityTooSmall',
        `expected EntityTooSmall, got ${error.name}: ${error.message}`,
      );
      return true;
    },
  );
});

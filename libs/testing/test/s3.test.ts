import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { createBucket, emptyBucket } from '../src/index.ts';

describe('emptyBucket', () => {
  it('deletes the objects and aborts the multipart uploads under a prefix, and nothing else', async (t) => {
    const { bucket, client } = await createBucket(t, { prefix: 'empty' });
    for (const Key of ['run-1/a', 'run-1/n/b', 'run-10/c', 'other'])
      await client.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Key }));
    for (const Key of ['run-1/open', 'run-10/open'])
      await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key }));

    await emptyBucket(client, bucket, 'run-1/');

    const left = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    assert.deepEqual(left.Contents?.map((o) => o.Key).sort(), ['other', 'run-10/c']);
    const open = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    assert.deepEqual(
      open.Uploads?.map((u) => u.Key),
      ['run-10/open'],
    );
  });
});

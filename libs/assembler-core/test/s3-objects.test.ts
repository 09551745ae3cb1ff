import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import {
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { SluiceError } from '@sluice/errors';
import {
  completeMultipart,
  headObject,
  listMultipartUploads,
  moveObject,
  sha256OfObject,
} from '../src/index.ts';
import { MiB, sha256, testDrive } from './support.ts';

/** An S3 endpoint that answers every request with `status` and `body`, for answers real stores rarely give. */
async function fakeStore(t: TestContext, status: number, body: string): Promise<S3Client> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(status, { 'content-type': 'application/xml' });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = new S3Client({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    maxAttempts: 1,
  });
  t.after(() => {
    client.destroy();
    server.close();
  });
  return client;
}

const ref = { bucket: 'b', key: 'k', uploadId: 'u' };

describe('completeMultipart', () => {
  it('treats an error document inside a 200 answer as a failure to retry', async (t) => {
    const client = await fakeStore(
      t,
      200,
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>',
    );
    const err = await completeMultipart(client, ref, [{ partNumber: 1, etag: 'e' }], undefined).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof SluiceError);
    assert.equal(err.code, 'STORAGE_UNAVAILABLE');
    assert.equal(err.retriable, true);
    assert.equal(err.details['s3Code'], 'InternalError');
  });

  it('treats an empty 200 answer as a failure to retry', async (t) => {
    const client = await fakeStore(t, 200, '');
    await assert.rejects(completeMultipart(client, ref, [{ partNumber: 1, etag: 'e' }], undefined), {
      code: 'STORAGE_UNAVAILABLE',
    });
  });

  it('reports NoSuchUpload as a result, and other refusals as STORAGE_REJECTED', async (t) => {
    const d = await testDrive(t);
    const gone = await completeMultipart(
      d.client,
      { bucket: d.bucket, key: 'k', uploadId: 'nope' },
      [{ partNumber: 1, etag: '0'.repeat(32) }],
      undefined,
    );
    assert.deepEqual(gone, { status: 'no-such-upload' });
    const created = await d.client.send(new CreateMultipartUploadCommand({ Bucket: d.bucket, Key: 'k' }));
    await assert.rejects(
      completeMultipart(
        d.client,
        { bucket: d.bucket, key: 'k', uploadId: created.UploadId! },
        [{ partNumber: 1, etag: '0'.repeat(32) }],
        undefined,
      ),
      { code: 'STORAGE_REJECTED', retriable: false },
    );
  });
});

describe('object calls', () => {
  it('heads, hashes as it streams, and says when an object is missing', async (t) => {
    const d = await testDrive(t);
    const data = randomBytes(3 * MiB + 5);
    await d.client.send(new PutObjectCommand({ Bucket: d.bucket, Key: 'a/b', Body: data }));
    const head = await headObject(d.client, { bucket: d.bucket, key: 'a/b', versionId: '' });
    assert.equal(head?.size, data.length);
    assert.match(head?.etag ?? '', /^[0-9a-f]{32}$/);
    const read = await sha256OfObject(d.client, { bucket: d.bucket, key: 'a/b', versionId: '' });
    assert.deepEqual(read, { sha256: sha256(data), size: data.length });
    assert.equal(await headObject(d.client, { bucket: d.bucket, key: 'a/none', versionId: '' }), undefined);
  });

  it('moves an object, part by part above the copy limit, and treats a second move as done', async (t) => {
    const d = await testDrive(t);
    const data = randomBytes(6 * MiB);
    await d.client.send(new PutObjectCommand({ Bucket: d.bucket, Key: 'x', Body: data }));
    const move = { bucket: d.bucket, key: 'x', versionId: '', size: data.length, to: 'q/x' };
    assert.equal(await moveObject(d.client, move, { copyLimit: 5 * MiB, copyPartSize: 5 * MiB }), 'moved');
    const out = await d.client.send(new GetObjectCommand({ Bucket: d.bucket, Key: 'q/x' }));
    assert.deepEqual(Buffer.from(await out.Body!.transformToByteArray()), data);
    assert.equal(await headObject(d.client, { bucket: d.bucket, key: 'x', versionId: '' }), undefined);
    assert.equal(await moveObject(d.client, move), 'gone');
  });

  it('lists unfinished multipart uploads under a prefix', async (t) => {
    const d = await testDrive(t);
    const a = await d.client.send(new CreateMultipartUploadCommand({ Bucket: d.bucket, Key: 'p/1' }));
    await d.client.send(new CreateMultipartUploadCommand({ Bucket: d.bucket, Key: 'other/2' }));
    const found = [];
    for await (const u of listMultipartUploads(d.client, d.bucket, 'p/')) found.push(u);
    assert.deepEqual(
      found.map((u) => [u.key, u.uploadId]),
      [['p/1', a.UploadId]],
    );
    assert.ok(found[0]?.initiated instanceof Date);
  });
});

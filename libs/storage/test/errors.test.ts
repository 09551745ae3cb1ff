import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { HeadBucketCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { requireServices, s3Settings } from '@sluice/testing';
import { S3Clients, storageError } from '../src/index.ts';
import { storeReport } from './store-report.ts';

function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({
    name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
    message: name,
  });
}

describe('storageError', () => {
  it('marks refusals permanent and carries the S3 code', () => {
    const e = storageError(s3Error('AccessDenied', 403), 'UploadPart 3');
    assert.equal(e.code, 'STORAGE_REJECTED');
    assert.equal(e.retriable, false);
    assert.equal(e.details['s3Code'], 'AccessDenied');
    assert.match(e.message, /UploadPart 3 was refused by the store \(AccessDenied\)/);
  });

  it('marks server errors, throttling and resets retriable', () => {
    for (const err of [
      s3Error('InternalError', 500),
      s3Error('SlowDown', 503),
      s3Error('RequestTimeout', 408),
      new Error('socket hang up'),
    ]) {
      const e = storageError(err, 'PutObject');
      assert.equal(e.code, 'STORAGE_UNAVAILABLE');
      assert.equal(e.retriable, true);
    }
  });

  it('classifies a real refusal from the local S3 server', async () => {
    await requireServices(['s3']);
    const s = s3Settings();
    const clients = new S3Clients();
    const client = clients.for({
      name: 'bad',
      tenant: 't',
      endpoint: s.endpoint,
      region: s.region,
      bucket: s.bucket,
      keyTemplate: '{node_id}',
      forcePathStyle: true,
      checksumMode: 'none',
      requestChecksumCalculation: 'WHEN_REQUIRED',
      partSizePolicy: { kind: 'fixed', partSize: 16 * 1024 * 1024 },
      credentials: { accessKeyId: s.accessKeyId, secretAccessKey: 'wrong-secret' },
    });
    // The probe found this store checks no signatures (moto): a bucket that is not there is asked for.
    const unchecked = storeReport()?.results.wrongSecret.kind === 'ignored';
    try {
      await client.send(new HeadBucketCommand({ Bucket: s.bucket }));
      if (unchecked) await client.send(new HeadBucketCommand({ Bucket: `${s.bucket}-none-${randomUUID()}` }));
      assert.fail(unchecked ? 'a bucket that is not there answered' : 'a wrong secret was accepted');
    } catch (err) {
      const e = storageError(err, 'HeadBucket');
      assert.equal(e.code, 'STORAGE_REJECTED', e.message);
    } finally {
      await clients.close();
    }
  });
});

import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { S3Client } from '@aws-sdk/client-s3';
import { SluiceError } from '@sluice/errors';
import type { Drive } from '@sluice/tenants';
import { createBucket, requireServices, s3Settings } from '@sluice/testing';
import { S3Clients, S3ObjectStore } from '../src/index.ts';
import { SUITE_COPY_LIMIT, objectStoreSuite } from './object-store.suite.ts';
import { storeReport } from './store-report.ts';

/** A drive on the local S3 server, as the tenants file would give it. */
function localDrive(bucket: string): Drive {
  const s = s3Settings();
  return {
    name: 'local',
    tenant: 't',
    endpoint: s.endpoint,
    region: s.region,
    bucket,
    keyTemplate: '{node_id}',
    forcePathStyle: true,
    checksumMode: 'crc64nvme',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    partSizePolicy: { kind: 'fixed', partSize: 16 * 1024 * 1024 },
    credentials: { accessKeyId: s.accessKeyId, secretAccessKey: s.secretAccessKey },
  };
}

const report = storeReport();

objectStoreSuite(
  report === undefined ? 'S3ObjectStore' : `S3ObjectStore on ${report.store}`,
  async (t) => {
    await requireServices(['s3']);
    const { bucket } = await createBucket(t, { prefix: 'store' });
    const clients = new S3Clients();
    t.after(() => clients.close());
    const store = new S3ObjectStore(clients.for(localDrive(bucket)), {
      copyLimit: SUITE_COPY_LIMIT,
      copyPartSize: SUITE_COPY_LIMIT,
    });
    return { store, bucket };
  },
  report,
);

/** An S3 endpoint that answers every request with `status` and `body`, for answers real stores rarely give. */
async function fakeStore(t: TestContext, status: number, body: string): Promise<S3ObjectStore> {
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
  return new S3ObjectStore(client);
}

const ref = { bucket: 'b', key: 'k', uploadId: 'u' };

describe('S3ObjectStore.completeMultipartUpload', () => {
  it('treats an error document inside a 200 answer as a failure to retry', async (t) => {
    const store = await fakeStore(
      t,
      200,
      '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>',
    );
    const err = await store.completeMultipartUpload(ref, [{ partNumber: 1, etag: 'e' }], undefined).then(
      () => undefined,
      (e: unknown) => e,
    );
    assert.ok(err instanceof SluiceError);
    assert.equal(err.code, 'STORAGE_UNAVAILABLE');
    assert.equal(err.retriable, true);
    assert.equal(err.details['s3Code'], 'InternalError');
  });

  it('treats an empty 200 answer as a failure to retry', async (t) => {
    const store = await fakeStore(t, 200, '');
    await assert.rejects(store.completeMultipartUpload(ref, [{ partNumber: 1, etag: 'e' }], undefined), {
      code: 'STORAGE_UNAVAILABLE',
    });
  });
});

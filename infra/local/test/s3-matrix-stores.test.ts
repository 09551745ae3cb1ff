/**
 * The S3 matrix's extra stores, started by infra/local: each answers with the local keys, holds
 * the `sluice` bucket, and completes a multipart upload. Installing them takes a while (PyPI,
 * Maven Central), so these run only with SLUICE_TEST_S3_MATRIX=1 (infra/local/s3-matrix.sh).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, before, test } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { LOCAL_DEFAULTS } from '@sluice/config';
import { checkService, s3Client, serviceEndpoint } from '@sluice/testing';
import { ensureUp } from '../src/orchestrator.ts';

const enabled = process.env['SLUICE_TEST_S3_MATRIX'] === '1';
const MiB = 1024 * 1024;

for (const name of ['s3-moto', 's3proxy'] as const) {
  describe(
    `${name} (S3 matrix store)`,
    { skip: !enabled && 'set SLUICE_TEST_S3_MATRIX=1', timeout: 600_000 },
    () => {
      before(() => ensureUp({ services: [name] }));

      test('answers ListBuckets with the local keys and holds the sluice bucket', async () => {
        const health = await checkService(name);
        assert.equal(health.healthy, true, health.error);
        const client = s3Client({ endpoint: serviceEndpoint(name).url });
        try {
          await client.send(new HeadBucketCommand({ Bucket: LOCAL_DEFAULTS.s3Bucket }));
        } finally {
          client.destroy();
        }
      });

      test('completes a multipart upload of a 5 MiB part and a small last part', async () => {
        // s3proxy answers NotImplemented to the CRC32 the SDK adds to uploads by default, and to the
        // x-amz-checksum-mode it adds to GetObject (see the matrix).
        const client = s3Client({
          endpoint: serviceEndpoint(name).url,
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        });
        const Bucket = LOCAL_DEFAULTS.s3Bucket;
        const Key = `infra-test/${name}-${randomBytes(6).toString('hex')}`;
        const parts = [randomBytes(5 * MiB), randomBytes(100)];
        try {
          const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket, Key }));
          const completed = [];
          for (const [i, Body] of parts.entries()) {
            const { ETag } = await client.send(
              new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: i + 1, Body }),
            );
            completed.push({ PartNumber: i + 1, ETag });
          }
          await client.send(
            new CompleteMultipartUploadCommand({
              Bucket,
              Key,
              UploadId,
              MultipartUpload: { Parts: completed },
            }),
          );
          const object = await client.send(new GetObjectCommand({ Bucket, Key }));
          const bytes = Buffer.from(await object.Body!.transformToByteArray());
          assert.ok(bytes.equals(Buffer.concat(parts)), 'the object holds the parts in order');
        } finally {
          await client.send(new DeleteObjectCommand({ Bucket, Key })).catch(() => undefined);
          client.destroy();
        }
      });

      test(
        'refuses a wrong secret key',
        { skip: name === 's3-moto' && 'moto checks no signatures' },
        async () => {
          const client = s3Client({
            endpoint: serviceEndpoint(name).url,
            maxAttempts: 1,
            credentials: { accessKeyId: LOCAL_DEFAULTS.s3AccessKey, secretAccessKey: 'wrong' },
          });
          try {
            await assert.rejects(client.send(new HeadBucketCommand({ Bucket: LOCAL_DEFAULTS.s3Bucket })));
          } finally {
            client.destroy();
          }
        },
      );
    },
  );
}

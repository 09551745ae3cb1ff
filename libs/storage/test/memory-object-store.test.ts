import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { MemoryObjectStore } from '../src/index.ts';
import { bodyOf, objectStoreSuite } from './object-store.suite.ts';

objectStoreSuite('MemoryObjectStore', () => {
  const store = new MemoryObjectStore();
  store.createBucket('bucket');
  return Promise.resolve({ store, bucket: 'bucket' });
});

describe('MemoryObjectStore', () => {
  it('takes the smallest part size as an option', async () => {
    const store = new MemoryObjectStore({ minPartSize: 1024 });
    store.createBucket('b');
    const target = { bucket: 'b', key: 'k', checksumMode: 'none' as const };
    const complete = async (first: number): Promise<string> => {
      const uploadId = await store.createMultipartUpload(target);
      const a = await store.uploadPart(target, uploadId, 1, bodyOf(randomBytes(first)));
      const b = await store.uploadPart(target, uploadId, 2, bodyOf(randomBytes(10)));
      const ref = { bucket: 'b', key: 'k', uploadId };
      return store
        .completeMultipartUpload(
          ref,
          [
            { partNumber: 1, etag: a },
            { partNumber: 2, etag: b },
          ],
          undefined,
        )
        .then(
          (r) => r.status,
          (e: { details: Record<string, unknown> }) => String(e.details['s3Code']),
        );
    };
    assert.equal(await complete(1023), 'EntityTooSmall');
    assert.equal(await complete(1024), 'completed');
  });

  it('refuses a completion whose whole-object checksum differs from the bytes', async () => {
    const store = new MemoryObjectStore({ minPartSize: 1 });
    store.createBucket('b');
    const target = { bucket: 'b', key: 'k', checksumMode: 'crc32c' as const };
    const uploadId = await store.createMultipartUpload(target);
    const etag = await store.uploadPart(target, uploadId, 1, bodyOf(randomBytes(100)));
    await assert.rejects(
      store.completeMultipartUpload({ bucket: 'b', key: 'k', uploadId }, [{ partNumber: 1, etag }], {
        algorithm: 'crc32c',
        base64: 'AAAAAA==',
      }),
      { code: 'STORAGE_REJECTED', details: { s3Code: 'BadDigest', httpStatus: 400 } },
    );
  });
});

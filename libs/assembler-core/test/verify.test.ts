import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { crc32cToBase64, crc64nvmeToBase64 } from '@sluice/checksums';
import { checkObject, fullObjectChecksum, multipartEtag, partChecksum } from '../src/index.ts';

const expected = { size: 10, crc64nvme: 42n, crc32c: 7, crc32: 9, mode: 'crc64nvme' as const };
const head = (over: object = {}) => ({
  size: 10,
  etag: 'e',
  versionId: '',
  checksums: { crc64nvme: crc64nvmeToBase64(42n) },
  ...over,
});

describe('checkObject', () => {
  it('accepts an object of the right size and checksum', () => {
    assert.deepEqual(checkObject(expected, head()), []);
  });

  it('names each difference', () => {
    assert.deepEqual(
      checkObject(expected, head({ size: 11, checksums: { crc64nvme: crc64nvmeToBase64(43n) } })).map(
        (m) => m.what,
      ),
      ['size', 'crc64nvme'],
    );
    assert.deepEqual(
      checkObject(expected, undefined).map((m) => m.what),
      ['missing'],
    );
  });

  it('compares CRC32C only in its mode, and skips checksums the store did not report', () => {
    const crc32cHead = head({ checksums: { crc32c: crc32cToBase64(8) } });
    assert.deepEqual(checkObject(expected, crc32cHead), []);
    assert.deepEqual(
      checkObject({ ...expected, mode: 'crc32c' }, crc32cHead).map((m) => m.what),
      ['crc32c'],
    );
    assert.deepEqual(checkObject(expected, head({ checksums: {} })), []);
  });

  it("compares a PutObject's ETag, and a multipart ETag when both sides are S3-style", () => {
    assert.deepEqual(
      checkObject({ ...expected, etag: 'abc' }, head({ etag: 'abd' })).map((m) => m.what),
      ['etag'],
    );
    const mp = `${'a'.repeat(32)}-2`;
    assert.deepEqual(checkObject({ ...expected, multipartEtag: mp }, head({ etag: mp })), []);
    assert.deepEqual(
      checkObject({ ...expected, multipartEtag: mp }, head({ etag: `${'b'.repeat(32)}-2` })).map(
        (m) => m.what,
      ),
      ['etag'],
    );
    // Another store's ETag format tells nothing.
    assert.deepEqual(checkObject({ ...expected, multipartEtag: mp }, head({ etag: 'opaque' })), []);
  });
});

describe('multipartEtag', () => {
  it('is the MD5 of the part MD5s and the part count', () => {
    const parts = ['part one', 'part two'].map((p) => createHash('md5').update(p).digest('hex'));
    const want = createHash('md5')
      .update(Buffer.concat(parts.map((p) => Buffer.from(p, 'hex'))))
      .digest('hex');
    assert.equal(multipartEtag(parts), `${want}-2`);
    assert.equal(multipartEtag(['not-an-md5']), undefined);
  });
});

describe('checksums sent with the completion', () => {
  it('follow the drive mode', () => {
    assert.deepEqual(fullObjectChecksum('crc64nvme', expected), {
      algorithm: 'crc64nvme',
      base64: crc64nvmeToBase64(42n),
    });
    assert.deepEqual(fullObjectChecksum('crc32c', expected), {
      algorithm: 'crc32c',
      base64: crc32cToBase64(7),
    });
    assert.equal(fullObjectChecksum('none', expected), undefined);
    assert.equal(partChecksum('crc64nvme', { crc64nvme: '42', crc32c: 0, crc32: 0 }), crc64nvmeToBase64(42n));
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ChecksumFormatError,
  S3_CHECKSUM_HEADERS,
  compositeCrc32cBase64,
  crc32FromBase64,
  crc32ToBase64,
  crc32c,
  crc32cFromBase64,
  crc32cToBase64,
  crc64nvmeFromBase64,
  crc64nvmeToBase64,
  sha256,
  sha256ToBase64,
} from '../src/index.ts';

describe('S3 checksum encoding', () => {
  it('writes CRCs as base64 of their big-endian bytes', () => {
    assert.equal(
      crc64nvmeToBase64(0xae8b14860a799888n),
      Buffer.from('ae8b14860a799888', 'hex').toString('base64'),
    );
    assert.equal(crc32cToBase64(0xe3069283), '4waSgw==');
    assert.equal(crc32ToBase64(0xcbf43926), 'y/Q5Jg==');
    assert.equal(crc64nvmeToBase64(0n), 'AAAAAAAAAAA=');
  });

  it('reads back what it writes', () => {
    for (const crc of [0n, 1n, 0xffffffffffffffffn, 0xae8b14860a799888n]) {
      assert.equal(crc64nvmeFromBase64(crc64nvmeToBase64(crc)), crc);
    }
    for (const crc of [0, 1, 0xffffffff, 0xe3069283]) {
      assert.equal(crc32cFromBase64(crc32cToBase64(crc)), crc);
      assert.equal(crc32FromBase64(crc32ToBase64(crc)), crc);
    }
  });

  it('rejects values that are not base64 of the right length, naming the header', () => {
    for (const bad of ['', 'AAAA', 'AAAAAAAAAAA', 'AAAAAAAAAAAAAAAA', 'AAAAAAAAAA!=', 'AAAAAAAAAAB=']) {
      assert.throws(
        () => crc64nvmeFromBase64(bad),
        (err: unknown) =>
          err instanceof ChecksumFormatError &&
          err.code === 'INVALID_ARGUMENT' &&
          err.field === S3_CHECKSUM_HEADERS.crc64nvme,
        JSON.stringify(bad),
      );
    }
    assert.throws(
      () => crc32cFromBase64('4waSgw=', 'part 3 crc32c'),
      /part 3 crc32c must be the base64 of 4 bytes/,
    );
  });

  it('refuses to encode values out of range', () => {
    assert.throws(() => crc64nvmeToBase64(-1n), ChecksumFormatError);
    assert.throws(() => crc32cToBase64(2 ** 32), ChecksumFormatError);
    assert.throws(() => sha256ToBase64(Buffer.alloc(31)), ChecksumFormatError);
  });

  it('builds the COMPOSITE CRC32C of parts as S3 reports it', () => {
    const parts = [0x11223344, 0xe3069283];
    const expected = crc32cToBase64(crc32c(Buffer.from('11223344e3069283', 'hex')));
    assert.equal(compositeCrc32cBase64(parts), `${expected}-2`);
  });

  it('writes a SHA-256 as base64', () => {
    const digest = sha256(Buffer.from('abc'));
    assert.equal(sha256ToBase64(digest), digest.toString('base64'));
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChecksumFormatError, crc32c, crc32cToBase64, parseCrc32c } from '../src/index.ts';

describe('parseCrc32c', () => {
  const value = crc32c(Buffer.from('123456789'));

  it('reads the base64 S3 writes, and 8 hex digits in either case', () => {
    assert.equal(value, 0xe3069283);
    assert.equal(parseCrc32c(crc32cToBase64(value)), value);
    assert.equal(parseCrc32c('4waSgw=='), value);
    assert.equal(parseCrc32c('e3069283'), value);
    assert.equal(parseCrc32c('E3069283'), value);
    assert.equal(parseCrc32c('AAAAAA=='), 0);
  });

  it('rejects anything else with a typed INVALID_ARGUMENT error naming the field', () => {
    for (const bad of ['', '4waSgw', '4waSgw=', 'e306928', 'e30692830', 'g3069283', '4waSgw==4waSgw==']) {
      assert.throws(
        () => parseCrc32c(bad, 'crc32c'),
        (err: unknown) =>
          err instanceof ChecksumFormatError &&
          err.field === 'crc32c' &&
          err.code === 'INVALID_ARGUMENT' &&
          /base64 of its 4 big-endian bytes/.test(err.message),
        bad,
      );
    }
  });
});

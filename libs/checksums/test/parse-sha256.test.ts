import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChecksumFormatError, parseSha256, sha256 } from '../src/index.ts';

const digest = sha256(Buffer.from('abc'));

describe('parseSha256', () => {
  it('reads hex in either case', () => {
    assert.deepEqual(parseSha256(digest.toString('hex')), digest);
    assert.deepEqual(parseSha256(digest.toString('hex').toUpperCase()), digest);
  });

  it('reads base64, standard or URL-safe, padded or not', () => {
    const standard = digest.toString('base64');
    assert.equal(standard.length, 44);
    assert.deepEqual(parseSha256(standard), digest);
    assert.deepEqual(parseSha256(standard.slice(0, 43)), digest);
    assert.deepEqual(parseSha256(digest.toString('base64url')), digest);
  });

  it('rejects anything else with a typed INVALID_ARGUMENT error naming the field', () => {
    const hex = digest.toString('hex');
    const b64 = digest.toString('base64');
    const lastBitsSet = `${b64.slice(0, 42)}${String.fromCharCode(b64.charCodeAt(42) + 1)}=`;
    for (const bad of [
      '',
      hex.slice(1),
      `${hex}0`,
      `${hex.slice(1)}g`,
      b64.slice(1),
      `${b64}=`,
      lastBitsSet,
      ' '.repeat(64),
    ]) {
      assert.throws(
        () => parseSha256(bad, 'chunk sha256'),
        (err: unknown) =>
          err instanceof ChecksumFormatError &&
          err.code === 'INVALID_ARGUMENT' &&
          err.field === 'chunk sha256' &&
          err.message.startsWith('chunk sha256 must be a SHA-256'),
        JSON.stringify(bad),
      );
    }
  });
});

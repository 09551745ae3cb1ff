import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Sha256, sha256 } from '../src/index.ts';

const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

describe('SHA-256', () => {
  it('hashes "abc" to the FIPS 180-2 value', () => {
    assert.equal(sha256(Buffer.from('abc')).toString('hex'), ABC);
  });

  it('is incremental, digests mid-stream, and resets', () => {
    const hasher = new Sha256().update(Buffer.from('a'));
    assert.equal(hasher.digest().toString('hex'), sha256(Buffer.from('a')).toString('hex'));
    hasher.update(Buffer.from('bc'));
    assert.equal(hasher.digest().toString('hex'), ABC);
    assert.equal(hasher.reset().update(Buffer.from('abc')).digest().toString('hex'), ABC);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Crc32, crc32 } from '../src/index.ts';

describe('CRC-32', () => {
  it('gives the catalogue check value for "123456789"', () => {
    assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  });

  it('is incremental', () => {
    const hasher = new Crc32().update(Buffer.from('1234')).update(Buffer.from('56789'));
    assert.equal(hasher.digest(), 0xcbf43926);
    assert.equal(hasher.reset().digest(), 0);
  });
});

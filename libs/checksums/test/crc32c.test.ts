import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crc32c as awsCrc32c } from '@aws-crypto/crc32c';
import { Crc32c, crc32c, type CrcEngineName } from '../src/index.ts';
import { SeededRandom } from '@sluice/testing';

const ENGINES: readonly CrcEngineName[] = ['native', 'wasm', 'js'];

describe('CRC-32C', () => {
  for (const engine of ENGINES) {
    it(`${engine}: gives the catalogue check value for "123456789"`, () => {
      assert.equal(crc32c(Buffer.from('123456789'), { engine }), 0xe3069283);
    });

    it(`${engine}: matches @aws-crypto/crc32c on random data, fed in random pieces at any alignment`, () => {
      const random = new SeededRandom(32);
      for (let round = 0; round < 60; round++) {
        const length = round < 40 ? random.int(0, 300) : random.int(60_000, 200_000);
        const padding = random.int(0, 7);
        const data = random.bytes(length + padding).subarray(padding);
        const hasher = new Crc32c({ engine });
        for (let at = 0; at < length;) {
          const piece = random.int(1, Math.max(1, length >> 2));
          hasher.update(data.subarray(at, at + piece));
          at += piece;
        }
        assert.equal(hasher.digest(), awsCrc32c(data), `round ${round}, ${length} bytes`);
      }
    });
  }

  it('returns unsigned values and resets', () => {
    const hasher = new Crc32c().update(Buffer.from('123456789'));
    assert.ok(hasher.digest() > 0x7fffffff);
    assert.equal(hasher.reset().digest(), 0);
  });
});

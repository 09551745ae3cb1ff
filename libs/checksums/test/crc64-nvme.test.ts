import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Crc64Nvme as AwsCrc64Nvme } from '@aws-sdk/crc64-nvme';
import { Crc64Nvme, crc64nvme, type CrcEngineName } from '../src/index.ts';
import { SeededRandom } from '@sluice/testing';
import { nativeChecksums } from '../src/native.ts';

const ENGINES: readonly CrcEngineName[] = ['native', 'wasm', 'js'];

async function awsCrc64(data: Uint8Array): Promise<bigint> {
  const hasher = new AwsCrc64Nvme();
  hasher.update(data);
  return Buffer.from(await hasher.digest()).readBigUInt64BE();
}

describe('CRC-64/NVME', () => {
  for (const engine of ENGINES) {
    it(`${engine}: gives the catalogue check value for "123456789"`, () => {
      assert.equal(crc64nvme(Buffer.from('123456789'), { engine }), 0xae8b14860a799888n);
    });

    it(`${engine}: gives 0 for no bytes`, () => {
      assert.equal(crc64nvme(Buffer.alloc(0), { engine }), 0n);
    });

    it(`${engine}: matches @aws-sdk/crc64-nvme on random data, fed in random pieces at any alignment`, async () => {
      const random = new SeededRandom(64);
      for (let round = 0; round < 60; round++) {
        const length = round < 40 ? random.int(0, 300) : random.int(60_000, 300_000);
        // A random byte offset into a larger buffer, so word reads start unaligned.
        const padding = random.int(0, 7);
        const data = random.bytes(length + padding).subarray(padding);
        const hasher = new Crc64Nvme({ engine });
        for (let at = 0; at < length;) {
          const piece = random.int(1, Math.max(1, length >> 2));
          hasher.update(data.subarray(at, at + piece));
          at += piece;
        }
        assert.equal(hasher.digest(), await awsCrc64(data), `round ${round}, ${length} bytes`);
      }
    });
  }

  it('native: folds with carry-less multiplication on this CPU, reading shared memory in place', () => {
    if (process.arch === 'x64') assert.equal(nativeChecksums?.crc64nvmeAccelerated, true);
    const random = new SeededRandom(9);
    const shared = new Uint8Array(new SharedArrayBuffer(200_003));
    shared.set(random.bytes(shared.length));
    for (const [start, end] of [
      [0, shared.length],
      [3, 130],
      [5, 64 * 1024 + 11],
      [1, 127],
      [0, 128],
    ] as const) {
      const view = shared.subarray(start, end);
      assert.equal(
        crc64nvme(view, { engine: 'native' }),
        crc64nvme(Buffer.from(view), { engine: 'js' }),
        `${start}..${end}`,
      );
    }
  });

  it('engines agree across the 64 KiB copy blocks of the wasm engine', () => {
    const data = new SeededRandom(7).bytes(3 * 65536 + 17);
    assert.equal(crc64nvme(data, { engine: 'wasm' }), crc64nvme(data, { engine: 'js' }));
  });

  it('digest() may be called mid-stream and reset() starts over', () => {
    const hasher = new Crc64Nvme();
    hasher.update(Buffer.from('1234'));
    assert.equal(hasher.digest(), crc64nvme(Buffer.from('1234')));
    hasher.update(Buffer.from('56789'));
    assert.equal(hasher.digest(), 0xae8b14860a799888n);
    assert.equal(hasher.reset().update(Buffer.from('1234')).digest(), crc64nvme(Buffer.from('1234')));
  });
});

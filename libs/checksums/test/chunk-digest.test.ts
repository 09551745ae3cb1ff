import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChunkDigest, crc32, crc32c, crc64nvme, sha256 } from '../src/index.ts';
import { SeededRandom } from '@sluice/testing';

describe('ChunkDigest', () => {
  it('computes SHA-256, CRC64/NVME and CRC32C by default, in one pass over buffers of any size', () => {
    const random = new SeededRandom(9);
    for (const engine of ['native', 'wasm', 'js'] as const) {
      for (let round = 0; round < 20; round++) {
        const data = random.bytes(random.int(0, 200_000));
        const digest = new ChunkDigest({ engine });
        for (let at = 0; at < data.length;) {
          const piece = random.int(1, 70_000);
          digest.update(data.subarray(at, at + piece));
          at += piece;
        }
        const result = digest.digest();
        assert.deepEqual(Object.keys(result).sort(), ['crc32c', 'crc64nvme', 'sha256', 'size']);
        assert.equal(result.size, data.length);
        assert.deepEqual(result.sha256, sha256(data));
        assert.equal(result.crc64nvme, crc64nvme(data));
        assert.equal(result.crc32c, crc32c(data));
      }
    }
  });

  it('computes only the algorithms asked for', () => {
    const data = Buffer.from('123456789');
    const onlyCrc64 = new ChunkDigest({ algorithms: ['crc64nvme'] }).update(data).digest();
    assert.deepEqual(onlyCrc64, { size: 9, crc64nvme: 0xae8b14860a799888n });
    const onlyCrc32c = new ChunkDigest({ algorithms: ['crc32c'] }).update(data).digest();
    assert.deepEqual(onlyCrc32c, { size: 9, crc32c: 0xe3069283 });
    const withCrc32 = new ChunkDigest({ algorithms: ['sha256', 'crc32'] }).update(data).digest();
    assert.equal(withCrc32.crc32, crc32(data));
    assert.deepEqual(withCrc32.sha256, sha256(data));
  });

  it('digests an empty chunk', () => {
    const result = new ChunkDigest().digest();
    assert.equal(result.size, 0);
    assert.equal(result.crc64nvme, 0n);
    assert.equal(result.crc32c, 0);
    assert.equal(result.sha256.toString('hex'), sha256(Buffer.alloc(0)).toString('hex'));
  });

  it('returns the same result on a second digest() and refuses more bytes after it', () => {
    const digest = new ChunkDigest().update(Buffer.from('abc'));
    const first = digest.digest();
    assert.equal(digest.digest(), first);
    assert.throws(() => digest.update(Buffer.from('d')), { code: 'INTERNAL' });
  });
});

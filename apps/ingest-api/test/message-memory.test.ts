import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { freeRequestBytes } from '../src/message-memory.ts';

const MiB = 1024 * 1024;

describe('freeRequestBytes', () => {
  it('frees a chunk that is most of a buffer of its own, which then reads as empty', () => {
    const message = Buffer.allocUnsafeSlow(2 * MiB + 100);
    const data = message.subarray(100);
    assert.equal(freeRequestBytes(data), true);
    assert.equal(message.buffer.detached, true);
    assert.equal(data.length, 0);
    assert.equal(freeRequestBytes(data), false, 'once');
  });

  it('leaves memory the chunk may share alone', () => {
    const small = Buffer.allocUnsafeSlow(64 * 1024);
    const pooled = Buffer.from('abc');
    const inBig = Buffer.allocUnsafeSlow(4 * MiB).subarray(0, 2 * MiB);
    const shared = new Uint8Array(new SharedArrayBuffer(2 * MiB));
    for (const data of [small, pooled, inBig, shared]) {
      assert.equal(freeRequestBytes(data), false);
      assert.equal(data.buffer instanceof ArrayBuffer && data.buffer.detached, false);
    }
  });
});

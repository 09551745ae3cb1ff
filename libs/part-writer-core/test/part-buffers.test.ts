import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PartBuffers } from '../src/part-buffers.ts';

describe('PartBuffers', () => {
  it('reuses a buffer once every holder let it go, unless it was spoiled', () => {
    const pool = new PartBuffers({ keep: 2 });
    const a = pool.take(1000);
    assert.equal(a.bytes.length, 1000);
    a.retain();
    a.release();
    assert.equal(pool.kept, 0, 'still held once');
    a.release();
    assert.equal(pool.kept, 1);
    const b = pool.take(900);
    assert.equal(b.bytes.length, 900);
    assert.equal(b.bytes.buffer, a.bytes.buffer, 'the same memory again');
    assert.equal(pool.kept, 0);
    b.spoil();
    b.release();
    assert.equal(pool.kept, 0, 'a spoiled buffer is never handed out again');
  });

  it('keeps no more than it may, and none that would waste half of itself', () => {
    const pool = new PartBuffers({ keep: 2 });
    const taken = [pool.take(100), pool.take(100), pool.take(100)];
    for (const p of taken) p.release();
    assert.equal(pool.kept, 2);
    const small = pool.take(40);
    assert.notEqual(small.bytes.buffer, taken[0]!.bytes.buffer, 'a 100-byte buffer is not used for 40');
    const big = pool.take(150);
    assert.equal(pool.kept, 2, 'nor one too short');
    assert.equal(big.bytes.length, 150);
  });

  it('lets its buffers go once no part was taken for a while', async () => {
    const pool = new PartBuffers({ keep: 4, idleMs: 20 });
    pool.take(100).release();
    assert.equal(pool.kept, 1);
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(pool.kept, 0);
  });
});

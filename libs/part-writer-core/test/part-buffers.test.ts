import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PartBuffers } from '../src/part-buffers.ts';

/** Whether a view's memory was freed (its ArrayBuffer detached). */
const detached = (view: Uint8Array): boolean => (view.buffer as ArrayBuffer).detached;

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
    assert.equal(detached(b.bytes), false, 'nor freed under a request that may still read it');
  });

  it('gives a part the smallest buffer that holds it, and frees at once what it cannot keep', () => {
    const pool = new PartBuffers({ keep: 2 });
    const [small, big, extra] = [pool.take(100), pool.take(300), pool.take(200)];
    for (const p of [big, small, extra]) p.release();
    assert.equal(pool.kept, 2);
    assert.equal(detached(small.bytes), true, 'one more than it keeps: the smallest is freed');
    const fits = pool.take(150);
    assert.equal(fits.bytes.buffer, extra.bytes.buffer, 'the 200-byte buffer, not the 300-byte one');
    const grown = pool.take(400);
    assert.equal(detached(big.bytes), true, 'none holds 400 bytes: the smallest kept goes');
    assert.equal(pool.kept, 0);
    assert.equal(grown.bytes.length, 400);
  });

  it('frees its buffers once no part was taken for a while', async () => {
    const pool = new PartBuffers({ keep: 4, idleMs: 20 });
    const p = pool.take(100);
    p.release();
    assert.equal(pool.kept, 1);
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(pool.kept, 0);
    assert.equal(detached(p.bytes), true);
  });
});

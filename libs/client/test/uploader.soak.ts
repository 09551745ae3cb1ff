/**
 * A 1 GiB stream through `upload` in bounded memory: the stream is read once and chunk by
 * chunk, so the client holds about `concurrency` chunks whatever the size. A stand-in for the
 * part-writer drops staged segments as they arrive, so Redis holds only a few chunks too.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { upload } from '../src/index.ts';
import { startIngest } from './ingest-server.ts';

const MiB = 1024 * 1024;
const TOTAL = 1024 * MiB;
const CHUNK = 8 * MiB;

/** Deterministic bytes: block `i` of 1 MiB is the SHA-256 chain of `i`, repeated. */
function block(i: number): Buffer {
  const seed = createHash('sha256').update(`block ${i}`).digest();
  const out = Buffer.allocUnsafe(MiB);
  for (let o = 0; o < MiB; o += seed.length) seed.copy(out, o);
  return out;
}

function* source(): Generator<Buffer> {
  for (let i = 0; i < TOTAL / MiB; i++) yield block(i);
}

describe('upload of a large stream', { timeout: 600_000 }, () => {
  it('sends 1 GiB with memory bounded by concurrency × chunk size', async (t) => {
    const h = await startIngest(t);
    let uploadId = '';
    let done = false;
    const drained = new Set<number>();
    const drainer = (async () => {
      while (!done) {
        if (uploadId) {
          for (const c of await h.staging.listChunks(uploadId)) {
            if (drained.has(c.chunk)) continue;
            drained.add(c.chunk);
            await h.staging.deleteSegments(h.staging.segmentsOf(uploadId, c));
            await h.staging.releaseChunk(uploadId, c.chunk, c.size);
          }
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const whole = createHash('sha256');
    for (const b of source()) whole.update(b);
    const base = process.memoryUsage().arrayBuffers;
    let peak = 0;
    const result = await upload(h.client, Readable.from(source()), {
      drive: 'docs',
      chunkSize: CHUNK,
      concurrency: 8,
      wholeFileSha256: true,
      onStarted: (u) => void (uploadId = u.uploadId),
      onProgress: () => {
        peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
      },
    }).finally(() => (done = true));
    await drainer;
    assert.equal(result.size, TOTAL);
    assert.equal(result.totalChunks, TOTAL / CHUNK);
    assert.equal(result.sha256, whole.digest('hex'));
    // Eight chunks in flight, the one being filled, and the transport's copies of frames.
    assert.ok(peak < 16 * CHUNK, `peak ${Math.round(peak / MiB)} MiB of buffers for a 1 GiB stream`);
    const records = await h.staging.listChunks(uploadId);
    assert.equal(records.length, TOTAL / CHUNK);
    for (const r of records) {
      const expected = createHash('sha256');
      for (let i = 0; i < CHUNK / MiB; i++) expected.update(block(r.chunk * (CHUNK / MiB) + i));
      assert.equal(r.sha256, expected.digest('hex'), `chunk ${r.chunk}`);
    }
  });
});

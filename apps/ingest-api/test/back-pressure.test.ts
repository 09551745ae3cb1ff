import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { masterOf, masters, nodeName } from '@sluice/redis';
import { MemoryGate, redisMemory } from '@sluice/staging';
import { createRedisPrefix, requireServices } from '@sluice/testing';
import { startIngest } from './harness.ts';

const MiB = 1024 * 1024;

describe('back-pressure', { timeout: 120_000 }, () => {
  it('refuses chunks above the Redis high watermark with a retry hint, and takes them again once Redis drains', async (t) => {
    await requireServices(['redis']);
    const { redis } = createRedisPrefix(t);
    // The gate needs the upload's Redis, known once ingest has created the upload.
    const gates: MemoryGate[] = [];
    const h = await startIngest(t, {
      stagingFull: (id) => gates[0]?.fullFor(h.staging.keys.meta(id)) ?? false,
      limits: { retryPushbackMs: 250 },
    });
    const up = await h.rpc.initiate({ drive: 'docs' }, h.auth());
    const uploadId = up.res?.uploadId ?? '';
    // The Redis that holds the upload: on a Redis Cluster, the master of its slot.
    await redis.ping();
    const home = masterOf(redis, h.staging.keys.meta(uploadId));
    const before = await redisMemory(masters(redis).find((node) => nodeName(node) === home)!);
    assert.equal(before.policy, 'noeviction');
    assert.ok(before.max > 0, 'the local Redis has a maxmemory');
    // Watermarks just above what that Redis holds now, so a few chunks cross them.
    const gate = new MemoryGate({
      redis,
      highWatermark: (before.used + 40 * MiB) / before.max,
      lowWatermark: (before.used + 20 * MiB) / before.max,
      intervalMs: 20,
    });
    await gate.start();
    t.after(() => gate.close());
    gates.push(gate);

    let refused: Awaited<ReturnType<typeof h.rpc.chunk>>['err'] = null;
    let accepted = 0;
    for (let n = 0; n < 40 && !refused; n++) {
      const { err } = await h.rpc.chunk({ uploadId, chunkNumber: n, data: randomBytes(4 * MiB) }, h.auth());
      if (err) refused = err;
      else accepted++;
      await new Promise((r) => setTimeout(r, 30));
    }
    assert.ok(refused, 'a chunk was refused once Redis passed the high watermark');
    assert.equal(refused.code, status.RESOURCE_EXHAUSTED);
    assert.equal(refused.metadata.get('sluice-error-code')[0], 'STAGING_FULL');
    assert.equal(refused.metadata.get('grpc-retry-pushback-ms')[0], '250');
    assert.ok(accepted >= 5, `${accepted} chunks went in before the refusal`);
    assert.equal(
      await h.staging.getChunk(uploadId, accepted),
      undefined,
      'the refused chunk left nothing staged',
    );

    // What the part-writer does once parts are stored: the staged bytes go.
    for (const record of await h.staging.listChunks(uploadId)) {
      await h.staging.deleteSegments(h.staging.segmentsOf(uploadId, record));
    }
    for (let i = 0; i < 500 && gate.full; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(gate.full, false, 'Redis fell below the low watermark');
    const again = await h.rpc.chunk({ uploadId, chunkNumber: accepted, data: randomBytes(MiB) }, h.auth());
    assert.equal(again.err, null, again.err?.details);
  });

  it('caps the bytes one upload may hold staged, and takes the chunk that fills a gap', async (t) => {
    const h = await startIngest(t, { limits: { maxStagedBytesPerUpload: 3 * MiB } });
    const up = await h.rpc.initiate({ drive: 'docs' }, h.auth());
    const uploadId = up.res?.uploadId ?? '';
    const send = (chunkNumber: number) =>
      h.rpc.chunk({ uploadId, chunkNumber, data: randomBytes(2 * MiB) }, h.auth());
    // Chunks ahead of a gap fill the cap...
    assert.equal((await send(1)).err, null);
    const over = await send(2);
    assert.equal(over.err?.code, status.RESOURCE_EXHAUSTED);
    assert.equal(over.err?.metadata.get('sluice-error-code')[0], 'UPLOAD_STAGING_CAP');
    assert.match(over.err?.details ?? '', /send chunk 0 \(the first one missing\), which is always taken/);
    // ...but not for the chunk that fills the gap: without it no part could be stored and
    // nothing released, and the upload would wait for ever.
    assert.equal((await send(0)).err, null);
    // Chunks in order leave no gap behind them: they wait for the part-writer.
    const inOrder = await send(2);
    assert.equal(inOrder.err?.metadata.get('sluice-error-code')[0], 'UPLOAD_STAGING_CAP');
    assert.doesNotMatch(inOrder.err?.details ?? '', /first one missing/);
    // Once the part-writer released bytes, they flow again.
    for (const chunk of [0, 1]) await h.staging.releaseChunk(uploadId, chunk, 2 * MiB);
    assert.equal((await send(2)).err, null);
  });

  it('holds the per-upload cap exactly when 500 chunks arrive at once, round after round', async (t) => {
    const chunkBytes = 16 * 1024;
    const cap = MiB;
    const h = await startIngest(t, { limits: { maxStagedBytesPerUpload: cap } });
    for (let round = 0; round < 4; round++) {
      const up = await h.rpc.initiate({ drive: 'docs' }, h.auth());
      const uploadId = up.res?.uploadId ?? '';
      // Chunk 0 is held back, so no chunk of the burst is the one that fills the first gap
      // (which is taken over the cap by design): every one of them competes for the cap.
      const outcomes = await Promise.all(
        Array.from({ length: 500 }, async (_, i) => {
          await new Promise((r) => setTimeout(r, Math.random() * 20));
          return h.rpc.chunk({ uploadId, chunkNumber: i + 1, data: randomBytes(chunkBytes) }, h.auth());
        }),
      );
      const acked = outcomes.filter((o) => o.err === null).length;
      const codes = new Set(
        outcomes.filter((o) => o.err).map((o) => o.err?.metadata.get('sluice-error-code')[0]),
      );
      assert.deepEqual([...codes], ['UPLOAD_STAGING_CAP'], `round ${round}: only the cap refuses`);
      assert.equal(acked, cap / chunkBytes, `round ${round}: exactly as many chunks as the cap holds`);
      const meta = await h.staging.getUpload(uploadId);
      assert.equal(meta?.stagedBytes, cap, `round ${round}: staged bytes`);
      assert.equal((await h.staging.listChunks(uploadId)).length, acked);
    }
  });

  it('gives back the room of a chunk that fails after it was admitted', async (t) => {
    const h = await startIngest(t, { limits: { maxStagedBytesPerUpload: 2 * MiB } });
    const up = await h.rpc.initiate({ drive: 'docs' }, h.auth());
    const uploadId = up.res?.uploadId ?? '';
    const data = randomBytes(2 * MiB);
    for (let i = 0; i < 3; i++) {
      const bad = await h.rpc.chunk({ uploadId, chunkNumber: 0, data, sha256: 'ab'.repeat(32) }, h.auth());
      assert.equal(bad.err?.metadata.get('sluice-error-code')[0], 'CHECKSUM_MISMATCH');
    }
    const good = await h.rpc.chunk({ uploadId, chunkNumber: 0, data }, h.auth());
    assert.equal(good.err, null, 'the refused attempts left the whole cap free');
    const reservations = await h.staging.redis.hlen(h.staging.keys.reservations(uploadId));
    assert.equal(reservations, 0, 'the commit turned the reservation into staged bytes');
  });
});

import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { DataLossError, ResourceExhaustedError } from '@sluice/errors';
import type { ChunkContent, ChunkRecord, StagingStore } from '../src/index.ts';
import { budgetCases } from './budget.suite.ts';
import { newUpload } from './fixtures.ts';

export { newUpload };

/** Makes a store with `segmentSize`-byte segments whose data is dropped when `t` ends. */
export type StagingStoreFactory = (t: TestContext, segmentSize: number) => Promise<StagingStore>;

export function record(chunk: number, size: number, writeId: string, segmentSize = 1024): ChunkRecord {
  return {
    chunk,
    ...content(size),
    writeId,
    segmentSize,
    segmentCount: Math.ceil(size / segmentSize),
    emitted: false,
  };
}

function content(size: number): ChunkContent {
  return {
    size,
    sha256: 'ab'.repeat(32),
    crc64nvme: '18446744073709551615',
    crc32c: 0,
    crc32: 0,
    generation: 0,
  };
}

/** Stages `data` as chunk `chunk` the way ingest does: a chunk write, then its commit. */
export async function stageChunk(
  s: StagingStore,
  uploadId: string,
  chunk: number,
  data: Buffer,
): Promise<ChunkRecord> {
  const write = s.openChunkWrite(uploadId, chunk);
  await write.write(data);
  const { committed, record } = await write.commit(content(data.length), '');
  assert.equal(committed.result, 'ok');
  return record;
}

/**
 * The behaviour every {@link StagingStore} shares, run against each adapter (`RedisStaging` on
 * a real Redis, `MemoryStaging`), so unit tests on the memory one say what production does.
 */
export function stagingStoreSuite(name: string, make: StagingStoreFactory): void {
  describe(`StagingStore: ${name}`, () => {
    it('creates an upload once per client request id', async (t) => {
      const s = await make(t, 1024);
      const crid = randomUUID();
      const first = await s.createUpload(newUpload({ clientRequestId: crid }));
      const again = await s.createUpload(newUpload({ clientRequestId: crid }));
      assert.equal(first.created, true);
      assert.equal(again.created, false);
      assert.equal(again.meta.uploadId, first.meta.uploadId);
      assert.deepEqual(again.meta.metadata, { case: '42' });
      assert.equal(again.meta.destination.partSizePolicy.partSize, 16 * 1024 * 1024);
    });

    it('stages bytes as segments and reads any range back across them', async (t) => {
      const s = await make(t, 1024);
      const { meta } = await s.createUpload(newUpload());
      const data = randomBytes(5000);
      const staged = await stageChunk(s, meta.uploadId, 0, data);
      assert.equal(staged.segmentCount, 5);
      const rec = await s.getChunk(meta.uploadId, 0);
      assert.ok(rec);
      assert.equal(rec.writeId, staged.writeId);
      for (const [offset, length] of [
        [0, 5000],
        [1, 1023],
        [1000, 2100],
        [4096, 904],
        [4999, 1],
      ] as const) {
        const pieces = await s.readRange(s.segmentsOf(meta.uploadId, rec), offset, length);
        assert.deepEqual(
          Buffer.concat(pieces),
          data.subarray(offset, offset + length),
          `${offset}+${length}`,
        );
      }
      assert.equal((await s.getUpload(meta.uploadId))?.stagedBytes, 5000);
      assert.ok(((await s.getUpload(meta.uploadId))?.firstChunkAt ?? 0) > 0);
    });

    it('reads any range into a buffer, segments of many KiB included, many reads at once', async (t) => {
      const segmentSize = 100_000;
      const s = await make(t, segmentSize);
      const { meta } = await s.createUpload(newUpload());
      const data = randomBytes(1_000_000);
      await stageChunk(s, meta.uploadId, 0, data);
      const rec = await s.getChunk(meta.uploadId, 0);
      assert.ok(rec);
      const segments = s.segmentsOf(meta.uploadId, rec);
      const ranges = [
        [0, 1_000_000],
        [0, 100_000],
        [99_999, 2],
        [150_000, 700_001],
        [999_999, 1],
        [123, 0],
        ...Array.from({ length: 20 }, () => {
          const offset = Math.floor(Math.random() * 1_000_000);
          return [offset, Math.floor(Math.random() * (1_000_000 - offset))] as const;
        }),
      ] as const;
      // A guard byte either side: nothing is written outside the range asked for.
      const outs = ranges.map(([, length]) => Buffer.alloc(length + 2, 0xa5));
      await Promise.all(
        ranges.map(([offset, length], i) =>
          s.readRangeInto(segments, offset, outs[i]!.subarray(1, length + 1)),
        ),
      );
      for (const [i, [offset, length]] of ranges.entries()) {
        const out = outs[i]!;
        assert.deepEqual(
          out.subarray(1, length + 1),
          data.subarray(offset, offset + length),
          `${offset}+${length}`,
        );
        assert.equal(out[0], 0xa5);
        assert.equal(out[length + 1], 0xa5);
      }
    });

    it('cuts frames that do not line up with segments into whole segments', async (t) => {
      const s = await make(t, 1024);
      const { meta } = await s.createUpload(newUpload());
      const data = randomBytes(4500);
      const write = s.openChunkWrite(meta.uploadId, 0);
      for (const [from, to] of [
        [0, 1],
        [1, 700],
        [700, 2900],
        [2900, 2900],
        [2900, 4500],
      ] as const)
        await write.write(data.subarray(from, to));
      assert.equal(write.bytes, 4500);
      const segments = await write.staged();
      assert.deepEqual(segments, { prefix: write.prefix, segmentSize: 1024, segmentCount: 5 });
      assert.deepEqual(Buffer.concat(await s.readRange(segments, 0, 4500)), data);
      assert.deepEqual(Buffer.concat(await s.readRange(segments, 1023, 2)), data.subarray(1023, 1025));
    });

    it('gives every write of a chunk its own segments, and nothing names them before the commit', async (t) => {
      const s = await make(t, 1024);
      const { meta } = await s.createUpload(newUpload());
      const a = s.openChunkWrite(meta.uploadId, 4);
      const b = s.openChunkWrite(meta.uploadId, 4);
      assert.notEqual(a.writeId, b.writeId);
      assert.notEqual(a.prefix, b.prefix);
      await a.write(randomBytes(2000));
      await a.staged();
      assert.equal(await s.getChunk(meta.uploadId, 4), undefined);
      assert.equal((await s.getUpload(meta.uploadId))?.stagedBytes, 0);
      await a.abort();
      assert.deepEqual(await s.segmentsPresent([{ prefix: a.prefix }]), [false]);
      await a.abort();
    });

    it('refuses a chunk mid-write when told to, and its abort drops what was sent', async (t) => {
      const s = await make(t, 1024);
      const { meta } = await s.createUpload(newUpload());
      let room = 2;
      const write = s.openChunkWrite(meta.uploadId, 0, {
        beforeSegment: () => {
          if (room-- === 0) throw new ResourceExhaustedError('STAGING_FULL', 'full');
        },
      });
      await write.write(randomBytes(2048));
      await assert.rejects(write.write(randomBytes(1024)), { code: 'STAGING_FULL' });
      assert.deepEqual(await s.segmentsPresent([{ prefix: write.prefix }]), [true]);
      await write.abort();
      assert.deepEqual(await s.segmentsPresent([{ prefix: write.prefix }]), [false]);
    });

    it('keeps committed bytes when the attempt is aborted after its commit', async (t) => {
      const s = await make(t, 1024);
      const { meta } = await s.createUpload(newUpload());
      const data = randomBytes(1500);
      const write = s.openChunkWrite(meta.uploadId, 0);
      await write.write(data);
      const { committed, record } = await write.commit(content(data.length), '');
      assert.deepEqual(committed, { result: 'ok', staged: { bytes: 1500, seq: 1 } });
      await write.abort();
      const segments = s.segmentsOf(meta.uploadId, record);
      assert.deepEqual(Buffer.concat(await s.readRange(segments, 0, 1500)), data);
    });

    it('drops the bytes of a commit that did not take when aborted', async (t) => {
      const s = await make(t, 1024);
      const { meta } = await s.createUpload(newUpload());
      await s.commitChunk(meta.uploadId, record(0, 10, 'other'), '');
      const write = s.openChunkWrite(meta.uploadId, 0);
      await write.write(randomBytes(1500));
      const { committed } = await write.commit(content(1500), '');
      assert.equal(committed.result, 'raced');
      await write.abort();
      assert.deepEqual(await s.segmentsPresent([{ prefix: write.prefix }]), [false]);
    });

    it('refuses a commit that lost a race, reporting the winner', async (t) => {
      const s = await make(t, 1024);
      const { meta } = await s.createUpload(newUpload());
      assert.equal((await s.commitChunk(meta.uploadId, record(3, 10, 'a'), '')).result, 'ok');
      const raced = await s.commitChunk(meta.uploadId, record(3, 10, 'b'), '');
      assert.equal(raced.result, 'raced');
      assert.equal(raced.result === 'raced' && raced.current?.writeId, 'a');
      // A forced replacement names the write it replaces, and the counter follows the new size.
      assert.equal(
        (await s.commitChunk(meta.uploadId, { ...record(3, 4, 'b'), generation: 1 }, 'a')).result,
        'ok',
      );
      assert.equal((await s.getUpload(meta.uploadId))?.stagedBytes, 4);
    });

    it('marks a chunk emitted only while it holds that write', async (t) => {
      const s = await make(t, 1024);
      const { meta } = await s.createUpload(newUpload());
      await s.commitChunk(meta.uploadId, record(0, 10, 'a'), '');
      assert.equal(await s.markChunkEmitted(meta.uploadId, 0, 'b'), false);
      assert.equal(await s.markChunkEmitted(meta.uploadId, 0, 'a'), true);
      assert.equal((await s.getChunk(meta.uploadId, 0))?.emitted, true);
      assert.equal(await s.markChunkEmitted(meta.uploadId, 1, 'a'), false);
      await s.markEmitted(meta.uploadId, 'initiated');
      assert.deepEqual((await s.getUpload(meta.uploadId))?.emitted, {
        initiated: true,
        sealed: false,
        aborted: false,
      });
    });

    it('finds the first gap and whether chunks wait behind it', async (t) => {
      const s = await make(t, 1024);
      const { meta } = await s.createUpload(newUpload());
      assert.deepEqual(await s.firstGap(meta.uploadId), { chunk: 0, chunksAfter: false });
      await s.commitChunk(meta.uploadId, record(0, 1, 'a'), '');
      await s.commitChunk(meta.uploadId, record(2, 1, 'a'), '');
      assert.deepEqual(await s.firstGap(meta.uploadId), { chunk: 1, chunksAfter: true });
      await s.commitChunk(meta.uploadId, record(1, 1, 'a'), '');
      assert.deepEqual(await s.firstGap(meta.uploadId), { chunk: 3, chunksAfter: false });
      assert.deepEqual(
        (await s.listChunks(meta.uploadId)).map((r) => r.chunk),
        [0, 1, 2],
      );
    });

    it('seals once, refuses chunks after it, and reports chunks beyond the count', async (t) => {
      const s = await make(t, 1024);
      const { meta } = await s.createUpload(newUpload());
      await s.commitChunk(meta.uploadId, record(0, 1, 'a'), '');
      await s.commitChunk(meta.uploadId, record(5, 1, 'a'), '');
      assert.deepEqual(await s.seal(meta.uploadId, 3, ''), { result: 'beyond', chunk: 5 });
      assert.deepEqual(await s.seal(meta.uploadId, 6, 'ff'), { result: 'incomplete', staged: 2 });
      for (const n of [1, 2, 3, 4]) await s.commitChunk(meta.uploadId, record(n, 1, 'a'), '');
      assert.deepEqual(await s.seal(meta.uploadId, 6, 'ff'), { result: 'ok' });
      assert.deepEqual(await s.seal(meta.uploadId, 6, 'ff'), { result: 'same' });
      assert.equal((await s.seal(meta.uploadId, 7, 'ff')).result, 'status');
      assert.deepEqual(await s.commitChunk(meta.uploadId, record(1, 1, 'a'), ''), {
        result: 'status',
        status: 'sealed',
      });
      assert.equal((await s.getUpload(meta.uploadId))?.totalChunks, 6);
      assert.deepEqual(await s.seal(randomUUID(), 1, ''), { result: 'missing' });
    });

    it('reserves bytes against the cap in one step with the check, and commits turn them into staged bytes', async (t) => {
      const s = await make(t, 1024);
      const { meta } = await s.createUpload(newUpload());
      const id = meta.uploadId;
      const lease = { cap: 100, leaseMs: 60_000 };
      assert.deepEqual(await s.reserve(id, 'w0', { chunk: 0, bytes: 40, ...lease }), { result: 'ok' });
      assert.deepEqual(await s.reserve(id, 'w1', { chunk: 1, bytes: 40, ...lease }), { result: 'ok' });
      assert.deepEqual(await s.reserve(id, 'w2', { chunk: 2, bytes: 40, ...lease }), {
        result: 'full',
        stagedBytes: 0,
        reservedBytes: 80,
        gap: { chunk: 0, chunksAfter: false },
      });
      // A write's reservation is set, not added to: growing it is checked against the others only.
      assert.deepEqual(await s.reserve(id, 'w1', { chunk: 1, bytes: 60, ...lease }), { result: 'ok' });
      assert.equal((await s.reserve(id, 'w1', { chunk: 1, bytes: 61, ...lease })).result, 'full');
      await s.commitChunk(id, record(0, 40, 'w0'), '');
      assert.equal((await s.getUpload(id))?.stagedBytes, 40);
      assert.deepEqual(
        await s.reserve(id, 'w2', { chunk: 2, bytes: 1, ...lease }),
        { result: 'full', stagedBytes: 40, reservedBytes: 60, gap: { chunk: 1, chunksAfter: false } },
        'the commit moved w0 from reserved to staged: the total is unchanged',
      );
      await s.releaseReservation(id, 'w1');
      await s.releaseReservation(id, 'w1');
      assert.deepEqual(await s.reserve(id, 'w2', { chunk: 2, bytes: 60, ...lease }), { result: 'ok' });
      assert.equal((await s.reserve(id, 'w3', { chunk: 3, bytes: 1, ...lease })).result, 'full');
      assert.deepEqual(
        await s.reserve(id, 'w2', { chunk: 2, bytes: 61, leaseMs: 60_000 }),
        { result: 'ok' },
        'a renewal (no cap) is not checked',
      );
      assert.deepEqual(
        await s.reserve(id, 'w0', { chunk: 0, bytes: 40, leaseMs: 60_000 }),
        { result: 'lapsed' },
        'a renewal never brings back a committed reservation',
      );
      assert.deepEqual(await s.reserve(id, 'w9', { chunk: 9, bytes: 1, leaseMs: 60_000 }), {
        result: 'lapsed',
      });
      assert.deepEqual(await s.reserve(randomUUID(), 'w', { chunk: 0, bytes: 1, ...lease }), {
        result: 'missing',
      });
      await s.abort(id, 'done');
      assert.deepEqual(await s.reserve(id, 'w4', { chunk: 4, bytes: 1, ...lease }), {
        result: 'status',
        status: 'aborted',
      });
    });

    it('takes the chunk that fills the first gap over the cap, and no other', async (t) => {
      const s = await make(t, 1024);
      const { meta } = await s.createUpload(newUpload());
      const id = meta.uploadId;
      await s.commitChunk(id, record(0, 10, 'a'), '');
      await s.commitChunk(id, record(2, 10, 'a'), '');
      const over = { bytes: 10, cap: 20, leaseMs: 60_000 };
      assert.deepEqual(await s.reserve(id, 'w3', { chunk: 3, ...over }), {
        result: 'full',
        stagedBytes: 20,
        reservedBytes: 0,
        gap: { chunk: 1, chunksAfter: true },
      });
      assert.deepEqual(await s.reserve(id, 'w1', { chunk: 1, ...over }), { result: 'ok' });
    });

    it('lets a reservation lapse when its lease ends uncommitted (the writer died)', async (t) => {
      const s = await make(t, 1024);
      const { meta } = await s.createUpload(newUpload());
      const id = meta.uploadId;
      assert.deepEqual(await s.reserve(id, 'dead', { chunk: 0, bytes: 50, cap: 50, leaseMs: 30 }), {
        result: 'ok',
      });
      assert.equal(
        (await s.reserve(id, 'live', { chunk: 1, bytes: 50, cap: 50, leaseMs: 60_000 })).result,
        'full',
      );
      await new Promise((r) => setTimeout(r, 80));
      assert.deepEqual(await s.reserve(id, 'dead', { chunk: 0, bytes: 50, leaseMs: 60_000 }), {
        result: 'lapsed',
      });
      assert.deepEqual(await s.reserve(id, 'live', { chunk: 1, bytes: 50, cap: 50, leaseMs: 60_000 }), {
        result: 'ok',
      });
    });

    it('never holds more than the cap, however many writes reserve at once', async (t) => {
      const s = await make(t, 1024);
      const { meta } = await s.createUpload(newUpload());
      const id = meta.uploadId;
      const results = await Promise.all(
        Array.from({ length: 500 }, (_, i) =>
          s.reserve(id, `w${i}`, { chunk: i + 1, bytes: 7, cap: 1000, leaseMs: 60_000 }),
        ),
      );
      assert.equal(results.filter((r) => r.result === 'ok').length, Math.floor(1000 / 7));
    });

    it("holds a tenant's open uploads to its limit under a burst, and frees a place when one closes", async (t) => {
      const s = await make(t, 1024);
      const tenant = `t-${randomUUID()}`;
      const ids = Array.from({ length: 50 }, () => randomUUID());
      const results = await Promise.all(ids.map((id) => s.openUpload(tenant, id, 7)));
      const admitted = ids.filter((_, i) => results[i]?.admitted);
      assert.equal(admitted.length, 7);
      assert.deepEqual(
        results.find((r) => !r.admitted),
        { admitted: false, open: 7 },
      );
      assert.deepEqual(
        await s.openUpload(tenant, admitted[0] ?? '', 7),
        { admitted: true },
        'admitted again',
      );
      await s.closeUpload(tenant, admitted[0] ?? '');
      await s.closeUpload(tenant, admitted[0] ?? '');
      assert.deepEqual(
        await s.openUpload(tenant, randomUUID(), 7),
        { admitted: true },
        'the closed place is free',
      );
      assert.deepEqual(
        await s.openUpload(`other-${tenant}`, randomUUID(), 7),
        { admitted: true },
        'per tenant',
      );
      assert.deepEqual(await s.openUpload(tenant, randomUUID(), undefined), { admitted: true }, 'no limit');
    });

    it("gives a tenant one second's worth of chunk tokens at once, then the wait for the next", async (t) => {
      const s = await make(t, 1024);
      const tenant = `t-${randomUUID()}`;
      const started = Date.now();
      const waits = await Promise.all(Array.from({ length: 30 }, () => s.takeChunkToken(tenant, 10)));
      // The bucket holds 10 and refills 10 a second: as many as that, however the calls spread.
      const refilled = Math.floor(((Date.now() - started) * 10) / 1000);
      const granted = waits.filter((w) => w === 0).length;
      assert.ok(granted >= 10 && granted <= 10 + refilled, `${granted} granted; at most 10 + ${refilled}`);
      for (const w of waits.filter((w) => w > 0))
        assert.ok(w <= 100, `a wait of ${w} ms is at most one token's time`);
      assert.equal(await s.takeChunkToken(`other-${tenant}`, 10), 0, 'per tenant');
    });

    it('takes a chunk off the staged bytes once, whatever the calls and writes', async (t) => {
      const s = await make(t, 1024);
      assert.equal(await s.releaseChunk(randomUUID(), 0, 10), 0, 'no upload: nothing to release against');
      const { meta } = await s.createUpload(newUpload());
      await s.commitChunk(meta.uploadId, record(0, 10, 'a'), '');
      await s.commitChunk(meta.uploadId, record(1, 10, 'a'), '');
      assert.equal((await s.getUpload(meta.uploadId))?.stagedBytes, 20);
      assert.equal(await s.releaseChunk(meta.uploadId, 0, 10), 10);
      assert.equal(await s.releaseChunk(meta.uploadId, 0, 10), 0);
      assert.equal(await s.releaseChunk(meta.uploadId, 0, 10), 0, 'a replacement is not counted again');
      assert.equal(await s.releaseChunk(meta.uploadId, 1, 10), 10);
      assert.equal((await s.getUpload(meta.uploadId))?.stagedBytes, 0);
    });

    it('aborts idempotently and deletes every key of an upload', async (t) => {
      const s = await make(t, 1024);
      const crid = randomUUID();
      const { meta } = await s.createUpload(newUpload({ clientRequestId: crid }));
      const rec = await stageChunk(s, meta.uploadId, 0, randomBytes(3000));
      assert.equal(await s.abort(meta.uploadId, 'user asked'), 'ok');
      assert.equal(await s.abort(meta.uploadId, 'user asked'), 'same');
      assert.equal((await s.getUpload(meta.uploadId))?.status, 'aborted');
      assert.equal((await s.getUpload(meta.uploadId))?.abortReason, 'user asked');
      await s.deleteUpload(meta.uploadId);
      assert.equal(await s.getUpload(meta.uploadId), undefined);
      assert.equal(await s.getChunk(meta.uploadId, 0), undefined);
      assert.deepEqual(await s.segmentsPresent([s.segmentsOf(meta.uploadId, rec)]), [false]);
      assert.equal(await s.abort(meta.uploadId, 'again'), 'missing');
      const fresh = await s.createUpload(newUpload({ clientRequestId: crid }));
      assert.equal(fresh.created, true, 'the client request id went with the upload');
    });

    it('lists the uploads it stages', async (t) => {
      const s = await make(t, 1024);
      const a = (await s.createUpload(newUpload())).meta.uploadId;
      const b = (await s.createUpload(newUpload())).meta.uploadId;
      const seen = new Set<string>();
      for await (const page of s.uploadIds()) for (const id of page) seen.add(id);
      assert.ok(seen.has(a) && seen.has(b), 'both uploads are listed');
      await s.deleteUpload(a);
      seen.clear();
      for await (const page of s.uploadIds()) for (const id of page) seen.add(id);
      assert.ok(!seen.has(a) && seen.has(b), 'a deleted upload is not');
    });

    it('says which chunk is lost when its segments are gone', async (t) => {
      const s = await make(t, 1024);
      const { meta } = await s.createUpload(newUpload());
      const rec = await stageChunk(s, meta.uploadId, 2, randomBytes(2048));
      await s.deleteSegments(s.segmentsOf(meta.uploadId, rec));
      const lost = new RegExp(`:c:2:${rec.writeId}:0 are gone`);
      const isLost = (e: unknown): boolean =>
        e instanceof DataLossError && e.code === 'STAGING_LOST' && lost.test(e.message);
      await assert.rejects(s.readRange(s.segmentsOf(meta.uploadId, rec), 0, 2048), isLost);
      await assert.rejects(s.readRangeInto(s.segmentsOf(meta.uploadId, rec), 0, Buffer.alloc(2048)), isLost);
      // Later reads are not thrown off by the one that failed.
      const kept = randomBytes(3000);
      const other = await stageChunk(s, meta.uploadId, 3, kept);
      const out = Buffer.alloc(3000);
      await s.readRangeInto(s.segmentsOf(meta.uploadId, other), 0, out);
      assert.deepEqual(out, kept);
    });

    budgetCases(make);
  });
}

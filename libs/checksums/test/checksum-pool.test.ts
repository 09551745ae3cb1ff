import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import type { Worker } from 'node:worker_threads';
import { SeededRandom } from '@sluice/testing';
import { ChecksumPool, ChunkDigest, type ChecksumAlgorithm } from '../src/index.ts';

const ALL: ChecksumAlgorithm[] = ['sha256', 'crc64nvme', 'crc32c', 'crc32'];

function pool(t: TestContext, threads: number, minOffloadBytes = 0): ChecksumPool {
  const p = new ChecksumPool({ threads, minOffloadBytes });
  t.after(() => p.close());
  return p;
}

/** Feeds `data` in random pieces; every other piece is handed over in a SharedArrayBuffer. */
function feed(
  session: { update(data: Uint8Array): void },
  data: Buffer,
  random: SeededRandom,
  maxPiece = 300_000,
): void {
  let shared = false;
  for (let at = 0; at < data.length;) {
    const piece = data.subarray(at, at + random.int(1, maxPiece));
    at += piece.length;
    shared = !shared;
    if (shared) {
      const copy = new Uint8Array(new SharedArrayBuffer(piece.length + 16), 8, piece.length);
      copy.set(piece);
      session.update(copy);
    } else {
      session.update(piece);
    }
  }
}

describe('ChecksumPool', () => {
  it('computes on its threads exactly what ChunkDigest computes, for sessions interleaved across them', async (t) => {
    const p = pool(t, 2);
    const random = new SeededRandom(31);
    const chunks = Array.from({ length: 12 }, () => random.bytes(random.int(0, 3_000_000)));
    const sessions = chunks.map(() => p.session(ALL));
    // Round-robin over the sessions, a piece at a time, as parallel streams would arrive.
    const offsets = chunks.map(() => 0);
    for (let left = true; left;) {
      left = false;
      for (const [i, chunk] of chunks.entries()) {
        const at = offsets[i] ?? 0;
        if (at >= chunk.length) continue;
        const end = Math.min(chunk.length, at + random.int(1, 500_000));
        feed(sessions[i] as never, chunk.subarray(at, end), random, 200_000);
        offsets[i] = end;
        left = true;
      }
    }
    const results = await Promise.all(sessions.map((s) => s.digest()));
    for (const [i, chunk] of chunks.entries()) {
      assert.deepEqual(results[i], new ChunkDigest({ algorithms: ALL }).update(chunk).digest(), `chunk ${i}`);
    }
  });

  it('queues bytes while its arena is full, and keeps each session in order', async (t) => {
    // Two slots of 64 KiB for several MiB in flight: almost every byte waits for a slot.
    const p = new ChecksumPool({
      threads: 1,
      minOffloadBytes: 0,
      arenaBytes: 128 * 1024,
      slotSize: 64 * 1024,
    });
    t.after(() => p.close());
    const random = new SeededRandom(77);
    const chunks = Array.from({ length: 4 }, () => random.bytes(random.int(1, 2_000_000)));
    const sessions = chunks.map(() => p.session(ALL));
    const cancelled = p.session(ALL);
    cancelled.update(random.bytes(1_000_000));
    for (const [i, chunk] of chunks.entries()) feed(sessions[i] as never, chunk, random);
    cancelled.cancel();
    const results = await Promise.all(sessions.map((s) => s.digest()));
    for (const [i, chunk] of chunks.entries()) {
      assert.deepEqual(results[i], new ChunkDigest({ algorithms: ALL }).update(chunk).digest(), `chunk ${i}`);
    }
  });

  it('computes only the algorithms asked for, and an empty chunk', async (t) => {
    const p = pool(t, 1);
    const data = Buffer.from('123456789');
    const only = p.session(['crc64nvme']);
    only.update(data);
    assert.deepEqual(await only.digest(), { size: 9, crc64nvme: 0xae8b14860a799888n });
    const empty = await p.session(['sha256', 'crc64nvme']).digest();
    assert.deepEqual(empty, new ChunkDigest({ algorithms: ['sha256', 'crc64nvme'] }).digest());
  });

  it('hashes small chunks, and everything when it has no threads, on the calling thread', async (t) => {
    const random = new SeededRandom(5);
    const data = random.bytes(100_000);
    const expected = new ChunkDigest({ algorithms: ALL }).update(data).digest();
    for (const [threads, sizeHint] of [
      [0, 0],
      [0, data.length],
      [1, data.length],
    ] as const) {
      const session = pool(t, threads, 256 * 1024).session(ALL, sizeHint);
      session.update(data);
      assert.equal(session.backlog, 0, 'hashed as it was fed');
      assert.deepEqual(await session.digest(), expected);
    }
  });

  it('reports its backlog and says when it drained', async (t) => {
    const p = pool(t, 1);
    const session = p.session(['sha256', 'crc64nvme']);
    const data = new SeededRandom(2).bytes(8 * 1024 * 1024);
    session.update(data);
    session.update(data);
    assert.equal(session.backlog, 2 * data.length);
    await session.drained(data.length);
    assert.ok(session.backlog <= data.length);
    await session.drained(0);
    assert.equal(session.backlog, 0);
    const sums = await session.digest();
    assert.equal(sums.size, 2 * data.length);
  });

  it('lets a session be cancelled without disturbing the others', async (t) => {
    const p = pool(t, 1);
    const random = new SeededRandom(8);
    const data = random.bytes(1_000_000);
    const dropped = p.session(ALL);
    const kept = p.session(ALL);
    dropped.update(data);
    kept.update(data);
    dropped.cancel();
    dropped.cancel();
    assert.throws(() => dropped.update(data), /after the session ended/);
    assert.equal(dropped.backlog, 0);
    assert.deepEqual(await kept.digest(), new ChunkDigest({ algorithms: ALL }).update(data).digest());
  });

  it('fails the sessions still open when it closes', async () => {
    const p = new ChecksumPool({ threads: 1, minOffloadBytes: 0 });
    const session = p.session(ALL);
    session.update(new SeededRandom(1).bytes(32 * 1024 * 1024));
    const digest = session.digest();
    await p.close();
    await assert.rejects(digest, {
      code: 'CHECKSUMS_UNAVAILABLE',
      retriable: true,
      message: /checksum worker/,
    });
    assert.throws(() => p.session(ALL), /closed/);
  });

  it('replaces a thread that stopped, failing only the chunks it held', async (t) => {
    const workers: Worker[] = [];
    const onWorker = (worker: Worker): number => workers.push(worker);
    process.on('worker', onWorker);
    t.after(() => process.off('worker', onWorker));
    const p = pool(t, 1);
    await p.start();
    assert.equal(workers.length, 1);
    const held = p.session(ALL);
    held.update(new SeededRandom(4).bytes(32 * 1024 * 1024));
    const digest = held.digest();
    digest.catch(() => undefined);
    await workers[0]?.terminate();
    await assert.rejects(digest, { code: 'CHECKSUMS_UNAVAILABLE', retriable: true });
    const data = new SeededRandom(6).bytes(1_000_000);
    const next = p.session(ALL);
    next.update(data);
    assert.deepEqual(await next.digest(), new ChunkDigest({ algorithms: ALL }).update(data).digest());
    assert.equal(workers.length, 2, 'a new thread took over');
  });

  it('starts its threads and checks them before the first chunk', async (t) => {
    const p = pool(t, 2);
    await p.start();
    await p.start();
    const session = p.session(ALL);
    session.update(Buffer.from('123456789'));
    assert.equal((await session.digest()).crc64nvme, 0xae8b14860a799888n);
    await p.close();
    await assert.rejects(p.start(), /closed/);
  });

  it('refuses a thread count that is not a whole number', () => {
    assert.throws(() => new ChecksumPool({ threads: -1 }), /threads/);
    assert.throws(() => new ChecksumPool({ threads: 1.5 }), /threads/);
  });
});

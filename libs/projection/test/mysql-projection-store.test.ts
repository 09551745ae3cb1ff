import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SluiceError } from '@sluice/errors';
import type { RowDataPacket } from 'mysql2/promise';
import {
  MemoryProjection,
  MysqlProjectionStore,
  readProjection,
  syntheticUpload,
  toProjectionEvent,
  type ProjectionRecord,
  type SyntheticEvent,
} from '../src/index.ts';
import { projectionDatabase } from './db.ts';
import { prng } from './helpers.ts';

const GROUP = 'sluice-projector';

/** Records of `history` as the projector would read them: each topic's events in order on partition 0. */
function records(history: readonly SyntheticEvent[], prefix = 'p.'): ProjectionRecord[] {
  const next = new Map<string, bigint>();
  return history.map((e) => {
    const topic = `${prefix}${e.topic}`;
    const offset = next.get(topic) ?? 0n;
    next.set(topic, offset + 1n);
    return { topic, partition: 0, offset, event: toProjectionEvent(e.topic, e.envelope, new Date(0)) };
  });
}

function snapshot(p: MemoryProjection): unknown {
  const sorted = <T>(m: Map<string, T>): [string, T][] =>
    [...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  return { uploads: sorted(p.uploads), chunks: sorted(p.chunks), parts: sorted(p.parts) };
}

/** Interleaves the topics' records (keeping each topic's own order) at random. */
function interleave(all: readonly ProjectionRecord[], random: () => number): ProjectionRecord[] {
  const queues = new Map<string, ProjectionRecord[]>();
  for (const r of all) queues.set(r.topic, [...(queues.get(r.topic) ?? []), r]);
  const out: ProjectionRecord[] = [];
  while (queues.size > 0) {
    const topics = [...queues.keys()];
    const topic = topics[Math.floor(random() * topics.length)]!;
    const q = queues.get(topic)!;
    out.push(q.shift()!);
    if (q.length === 0) queues.delete(topic);
  }
  return out;
}

function mixedHistory(count: number): SyntheticEvent[] {
  const outcomes = ['completed', 'failed', 'aborted', 'expired', 'open'] as const;
  return Array.from(
    { length: count },
    (_, i) =>
      syntheticUpload({
        uploadId: `u${i}`,
        tenant: i % 2 ? 'acme' : 'globex',
        drive: 'main',
        outcome: outcomes[i % outcomes.length]!,
        chunks: 3 + (i % 4),
        chunkSize: 1000,
        replaceChunk: i % 3 === 0,
        start: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
      }).events,
  ).flat();
}

describe('MysqlProjectionStore', () => {
  it('projects a batch with its offsets, and skips it when it comes again', async (t) => {
    const db = await projectionDatabase(t);
    const store = new MysqlProjectionStore({ pool: db.pool, groupId: GROUP });
    const { events, facts } = syntheticUpload({
      uploadId: 'u1',
      tenant: 't',
      drive: 'd',
      outcome: 'completed',
      chunks: 4,
      chunkSize: 100,
    });
    const batch = records(events);
    const first = await store.apply(batch);
    assert.equal(first.applied.length, batch.length);
    assert.equal(first.skipped, 0);
    const rows = await readProjection(db.pool);
    const row = rows.uploads.get('u1');
    assert.equal(row?.status, facts.status);
    assert.equal(row?.chunksStaged, facts.chunksStaged);
    assert.equal(row?.bytesStaged, facts.bytesStaged);
    assert.equal(row?.partsStored, facts.partsStored);
    assert.equal(row?.bytesStored, facts.bytesStored);
    assert.equal(row?.sizeBytes, facts.sizeBytes);
    assert.equal(rows.chunks.size, 4);
    assert.deepEqual(snapshot(rows), snapshot(new MemoryProjection().apply(batch.map((r) => r.event!))));
    assert.deepEqual(
      (await store.positions()).map((p) => [p.topic, p.partition, p.nextOffset]),
      [
        ['p.intake.chunks', 0, 6n],
        ['p.intake.parts', 0, 3n],
        ['p.intake.uploads', 0, 1n],
      ],
    );

    const again = await store.apply(batch);
    assert.deepEqual([again.applied.length, again.skipped], [0, batch.length]);
    assert.deepEqual(snapshot(await readProjection(db.pool)), snapshot(rows));
  });

  it('holds the rows an in-memory fold gives, whatever the interleaving, batching and redelivery', async (t) => {
    const db = await projectionDatabase(t);
    const store = new MysqlProjectionStore({ pool: db.pool, groupId: GROUP, rowsPerStatement: 7 });
    const all = records(mixedHistory(20));
    const random = prng(7);
    const delivered = interleave(all, random);
    let at = 0;
    let redelivered = 0;
    while (at < delivered.length) {
      const size = 1 + Math.floor(random() * 40);
      // Sometimes a batch starts a little before the last one ended: redelivery after a crash.
      const back = random() < 0.3 ? Math.min(at, Math.floor(random() * 10)) : 0;
      redelivered += back;
      const batch = delivered.slice(at - back, at + size);
      const result = await store.apply(batch);
      assert.equal(result.skipped, back);
      at += size;
    }
    assert.ok(redelivered > 0);
    const expected = new MemoryProjection().apply(all.map((r) => r.event!));
    assert.deepEqual(snapshot(await readProjection(db.pool)), snapshot(expected));
    assert.equal(expected.uploads.size, 20);
  });

  it('applies a batch once when two projectors hold its partition at the same time', async (t) => {
    const db = await projectionDatabase(t);
    const a = new MysqlProjectionStore({ pool: db.pool, groupId: GROUP });
    const b = new MysqlProjectionStore({ pool: db.pool, groupId: GROUP });
    const batch = records(
      syntheticUpload({ uploadId: 'u1', tenant: 't', drive: 'd', outcome: 'open', chunks: 5, chunkSize: 10 })
        .events,
    );
    const results = await Promise.all([a.apply(batch), b.apply(batch)]);
    assert.deepEqual(results.map((r) => r.applied.length).sort(), [0, batch.length]);
    const [[row]] = await db.connection.query<RowDataPacket[]>(
      'SELECT chunks_staged, bytes_staged FROM uploads',
    );
    assert.deepEqual([row?.['chunks_staged'], Number(row?.['bytes_staged'])], [4, 40]);
  });

  it('projects one upload from batches of two topics running at once', async (t) => {
    const db = await projectionDatabase(t);
    const store = new MysqlProjectionStore({ pool: db.pool, groupId: GROUP });
    const all = records(mixedHistory(10));
    const byTopic = Map.groupBy(all, (r) => r.topic);
    // A lock conflict between concurrent batches rolls one back as retriable (DATABASE_UNAVAILABLE);
    // the projector's batch writer then applies it again, and so does this test.
    const apply = async (batch: ProjectionRecord[]): Promise<void> => {
      for (let attempt = 1; ; attempt++) {
        try {
          await store.apply(batch);
          return;
        } catch (err) {
          if (!(err instanceof SluiceError && err.retriable) || attempt >= 20) throw err;
          await new Promise((r) => setTimeout(r, 5 * attempt));
        }
      }
    };
    // Each topic in batches of its own, the three topics concurrently, as three instances would.
    await Promise.all(
      [...byTopic.values()].map(async (topicRecords) => {
        for (let i = 0; i < topicRecords.length; i += 5) await apply(topicRecords.slice(i, i + 5));
      }),
    );
    assert.deepEqual(
      snapshot(await readProjection(db.pool)),
      snapshot(new MemoryProjection().apply(all.map((r) => r.event!))),
    );
  });

  it('keeps rejected records with why, and moves past them', async (t) => {
    const db = await projectionDatabase(t);
    const store = new MysqlProjectionStore({ pool: db.pool, groupId: GROUP });
    const good = records(
      syntheticUpload({ uploadId: 'u1', tenant: 't', drive: 'd', outcome: 'open', chunks: 2 }).events,
    );
    const bad: ProjectionRecord = {
      topic: 'p.intake.chunks',
      partition: 0,
      offset: BigInt(good.length),
      rejected: { code: 'FRAME_INVALID', message: 'not a Sluice frame', eventId: 'e9' },
    };
    const result = await store.apply([...good, bad]);
    assert.equal(result.applied.length, good.length + 1);
    const [rows] = await db.connection.query<RowDataPacket[]>(
      'SELECT topic, record_offset, event_id, error_code, message FROM rejected_events',
    );
    assert.deepEqual(
      rows.map((r) => ({ ...r, record_offset: Number(r['record_offset']) })),
      [
        {
          topic: 'p.intake.chunks',
          record_offset: good.length,
          event_id: 'e9',
          error_code: 'FRAME_INVALID',
          message: 'not a Sluice frame',
        },
      ],
    );
    assert.equal((await store.positions())[0]?.nextOffset, BigInt(good.length + 1));
  });

  it('fails a batch whose values MySQL refuses as not retriable, and writes nothing of it', async (t) => {
    const db = await projectionDatabase(t);
    const store = new MysqlProjectionStore({ pool: db.pool, groupId: GROUP });
    const [first] = records(
      syntheticUpload({ uploadId: 'u1', tenant: 't', drive: 'd', outcome: 'open' }).events,
    );
    const initiated = first?.event;
    assert.ok(first && initiated?.kind === 'uploadInitiated');
    const tooLong: ProjectionRecord = {
      topic: first.topic,
      partition: first.partition,
      offset: first.offset,
      event: { ...initiated, mimeType: 'x'.repeat(300) },
    };
    await assert.rejects(store.apply([tooLong]), (err: unknown) => {
      assert.ok(err instanceof SluiceError);
      assert.equal(err.retriable, false);
      return true;
    });
    assert.deepEqual(await store.positions(), []);
    const [rows] = await db.connection.query<RowDataPacket[]>('SELECT upload_id FROM uploads');
    assert.equal(rows.length, 0);
  });

  it('reads an empty position list for a group that projected nothing', async (t) => {
    const db = await projectionDatabase(t);
    await new MysqlProjectionStore({ pool: db.pool, groupId: 'other' }).apply(
      records(syntheticUpload({ uploadId: 'u', tenant: 't', drive: 'd', outcome: 'open' }).events),
    );
    assert.deepEqual(await new MysqlProjectionStore({ pool: db.pool, groupId: GROUP }).positions(), []);
  });
});

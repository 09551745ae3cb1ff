import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SluiceError } from '@sluice/errors';
import {
  canonicalMetadata,
  MemoryProjection,
  syntheticUpload,
  toProjectionEvent,
  type ProjectionEvent,
  type ProjectionRecord,
  type SyntheticEvent,
} from '../src/index.ts';
import { DATABASES, type OpenTestProjection } from './db.ts';
import { prng } from './helpers.ts';

const GROUP = 'sluice-projector';
const MAX64 = 2n ** 64n - 1n;
const MAX32 = 2 ** 32 - 1;

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

/** Records of hand-made events, on one partition. */
function recordsOf(events: readonly ProjectionEvent[]): ProjectionRecord[] {
  return events.map((event, i) => ({ topic: 'p.intake.uploads', partition: 0, offset: BigInt(i), event }));
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

/**
 * One upload whose every column is at an edge: 64-bit values at 2^64-1, 32-bit ones at
 * 2^32-1, times before 1970, past 2038 and at the end of 9999 with milliseconds, text in
 * several scripts with quotes, backslashes and an emoji.
 */
function edgeEvents(): ProjectionEvent[] {
  const head = (eventId: string, at: string) => ({
    eventId,
    uploadId: 'u-edge',
    nodeId: 'node-ünï',
    tenant: 'tenant-名前-😀',
    drive: `drive 'd' "q" \\ %_`,
    occurredAt: new Date(at),
  });
  const text = `файл 😀 'q' "dq" \\ %_ \t end`;
  return [
    {
      ...head('e1', '1969-07-20T20:17:40.123Z'),
      kind: 'uploadInitiated',
      filename: text,
      mimeType: 'text/plain; charset=utf-8',
      metadata: canonicalMetadata({ ключ: 'значение 😀', a: '"x"\\' }),
      sizeHint: MAX64,
      fixedChunkSize: 2n ** 63n,
      endpoint: 'https://s3.example/ü',
      region: 'eu-1',
      bucket: 'bucket',
      objectKey: 'k/ü/😀',
      checksumMode: 'crc64nvme',
      partSizeKind: 'fixed',
      partSize: MAX64,
    },
    {
      ...head('e2', '2038-01-19T03:14:08.001Z'),
      kind: 'chunkUploaded',
      chunkNumber: MAX32,
      size: MAX64,
      byteOffset: MAX64,
      sha256: 'f'.repeat(64),
      crc64nvme: MAX64,
      crc32c: MAX32,
      crc32: MAX32,
      generation: MAX32,
    },
    {
      ...head('e3', '2038-01-19T03:14:08.002Z'),
      kind: 'uploadSealed',
      totalChunks: MAX32,
      sha256: 'a'.repeat(64),
    },
    {
      ...head('e4', '9999-12-31T23:59:59.998Z'),
      kind: 'partStored',
      location: { bucket: 'bucket', key: 'k/ü/😀', multipartUploadId: 'mp-1' },
      partNumber: MAX32,
      byteStart: 0n,
      byteEnd: MAX64,
      etag: '"etag-ü"',
      crc64nvme: MAX64,
      crc32c: MAX32,
      crc32: MAX32,
      firstChunk: MAX32,
      lastChunk: MAX32,
    },
    {
      ...head('e5', '9999-12-31T23:59:59.999Z'),
      kind: 'uploadCompleted',
      bucket: 'bucket',
      objectKey: 'k/ü/😀',
      versionId: 'v-😀',
      etag: '"final"',
      size: MAX64,
      crc64nvme: MAX64,
      crc32c: MAX32,
      crc32: MAX32,
      sha256: 'a'.repeat(64),
      mimeType: null,
      filename: text,
      metadata: '{}',
      firstChunkAt: new Date('2038-01-19T03:14:08.001Z'),
      completedAt: new Date('9999-12-31T23:59:59.999Z'),
      partCount: MAX32,
    },
  ];
}

/** Retries a batch a lock conflict rolled back, as the projector's batch writer does. */
async function applyUntilDone(
  apply: (batch: ProjectionRecord[]) => Promise<unknown>,
  batch: ProjectionRecord[],
): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await apply(batch);
      return;
    } catch (err) {
      if (!(err instanceof SluiceError && err.retriable) || attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 5 * attempt));
    }
  }
}

function notRetriable(err: unknown): boolean {
  assert.ok(err instanceof SluiceError);
  assert.equal(err.retriable, false);
  assert.equal(err.code, 'INTERNAL');
  return true;
}

/** The behaviour every projection store shares. */
function shouldProjectBatches(open: OpenTestProjection): void {
  it('projects a batch with its offsets, and skips it when it comes again', async (t) => {
    const db = await open(t);
    const store = db.db.store(GROUP);
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
    const rows = await db.read();
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
    assert.deepEqual(snapshot(await db.read()), snapshot(rows));
  });

  it('holds the rows an in-memory fold gives, whatever the interleaving, batching and redelivery', async (t) => {
    const db = await open(t);
    const store = db.db.store(GROUP, { rowsPerStatement: 7 });
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
    assert.deepEqual(snapshot(await db.read()), snapshot(expected));
    assert.equal(expected.uploads.size, 20);
  });

  it('applies a batch once when two projectors hold its partition at the same time', async (t) => {
    const db = await open(t);
    const a = db.db.store(GROUP);
    const b = db.open().store(GROUP);
    const upload = (uploadId: string) =>
      syntheticUpload({ uploadId, tenant: 't', drive: 'd', outcome: 'open', chunks: 5, chunkSize: 10 })
        .events;
    const all = records([...upload('u1'), ...upload('u2')]);
    // u1 while the partitions have no stored position yet, u2 once they have one.
    for (const uploadId of ['u1', 'u2']) {
      const batch = all.filter((r) => r.event?.uploadId === uploadId);
      const results = await Promise.all([a.apply(batch), b.apply(batch)]);
      assert.deepEqual(
        results.map((r) => [r.applied.length, r.skipped]).sort(([x], [y]) => x! - y!),
        [
          [0, batch.length],
          [batch.length, 0],
        ],
      );
    }
    const rows = await db.rows(
      'SELECT upload_id, chunks_staged, bytes_staged FROM uploads ORDER BY upload_id',
    );
    assert.deepEqual(
      rows.map((r) => [r['upload_id'], Number(r['chunks_staged']), Number(r['bytes_staged'])]),
      [
        ['u1', 4, 40],
        ['u2', 4, 40],
      ],
    );
  });

  it('projects one upload from batches of two topics running at once', async (t) => {
    const db = await open(t);
    const store = db.db.store(GROUP);
    const all = records(mixedHistory(10));
    const byTopic = Map.groupBy(all, (r) => r.topic);
    // A lock conflict between concurrent batches rolls one back as retriable (DATABASE_UNAVAILABLE);
    // the projector's batch writer then applies it again, and so does this test.
    // Each topic in batches of its own, the three topics concurrently, as three instances would.
    await Promise.all(
      [...byTopic.values()].map(async (topicRecords) => {
        for (let i = 0; i < topicRecords.length; i += 5) {
          await applyUntilDone((batch) => store.apply(batch), topicRecords.slice(i, i + 5));
        }
      }),
    );
    assert.deepEqual(
      snapshot(await db.read()),
      snapshot(new MemoryProjection().apply(all.map((r) => r.event!))),
    );
  });

  it('keeps rejected records with why, and moves past them', async (t) => {
    const db = await open(t);
    const store = db.db.store(GROUP);
    const good = records(
      syntheticUpload({ uploadId: 'u1', tenant: 't', drive: 'd', outcome: 'open', chunks: 2 }).events,
    );
    const bad: ProjectionRecord = {
      topic: 'p.intake.chunks',
      partition: 0,
      offset: BigInt(good.length),
      rejected: { code: 'FRAME_INVALID', message: 'not a Sluice frame', eventId: 'e9' },
    };
    // A rejection carries what the record said, which no store may refuse: NUL, too long.
    const worse: ProjectionRecord = {
      topic: 'p.intake.chunks',
      partition: 0,
      offset: BigInt(good.length + 1),
      rejected: { code: 'EVENT_INVALID', message: 'm'.repeat(20_000), uploadId: `u\u0000${'x'.repeat(300)}` },
    };
    const result = await store.apply([...good, bad, worse]);
    assert.equal(result.applied.length, good.length + 2);
    const rows = await db.rows(
      'SELECT topic, partition_id, record_offset, event_id, upload_id, error_code, message FROM rejected_events ORDER BY record_offset',
    );
    assert.deepEqual(
      rows.map((r) => ({
        ...r,
        partition_id: Number(r['partition_id']),
        record_offset: Number(r['record_offset']),
        message: String(r['message']).slice(0, 20),
        length: String(r['message']).length,
      })),
      [
        {
          topic: 'p.intake.chunks',
          partition_id: 0,
          record_offset: good.length,
          event_id: 'e9',
          upload_id: null,
          error_code: 'FRAME_INVALID',
          message: 'not a Sluice frame',
          length: 18,
        },
        {
          topic: 'p.intake.chunks',
          partition_id: 0,
          record_offset: good.length + 1,
          event_id: null,
          upload_id: `u\uFFFD${'x'.repeat(253)}`,
          error_code: 'EVENT_INVALID',
          message: 'm'.repeat(20),
          length: 16_000,
        },
      ],
    );
    assert.equal((await store.positions())[0]?.nextOffset, BigInt(good.length + 2));
  });

  it('fails a batch whose values the database refuses as not retriable, and writes nothing of it', async (t) => {
    const db = await open(t);
    const store = db.db.store(GROUP);
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
    await assert.rejects(store.apply([tooLong]), notRetriable);
    assert.deepEqual(await store.positions(), []);
    assert.equal((await db.rows('SELECT upload_id FROM uploads')).length, 0);
  });

  it('reads an empty position list for a group that projected nothing', async (t) => {
    const db = await open(t);
    await db.db
      .store('other')
      .apply(records(syntheticUpload({ uploadId: 'u', tenant: 't', drive: 'd', outcome: 'open' }).events));
    assert.deepEqual(await db.db.store(GROUP).positions(), []);
  });

  it('holds every value at the edge of its column exactly, and refuses one past it', async (t) => {
    const db = await open(t);
    const store = db.db.store(GROUP);
    const events = edgeEvents();
    await store.apply(recordsOf(events));
    const expected = new MemoryProjection().apply(events);
    assert.deepEqual(snapshot(await db.read()), snapshot(expected));

    const view = await db.db.queries().get('u-edge', { tenant: 'tenant-名前-😀', withChunks: true });
    assert.equal(view.crc64nvme, MAX64);
    assert.equal(view.crc32c, MAX32);
    assert.equal(view.crc32, MAX32);
    assert.equal(view.sizeBytes, MAX64);
    assert.equal(view.bytesStaged, MAX64);
    assert.equal(view.partCount, MAX32);
    assert.equal(view.drive, `drive 'd' "q" \\ %_`);
    assert.equal(view.filename, `файл 😀 'q' "dq" \\ %_ \t end`);
    assert.deepEqual(view.metadata, { a: '"x"\\', ключ: 'значение 😀' });
    assert.deepEqual(view.stagedChunks, [MAX32]);
    assert.equal(view.createdAt.toISOString(), '1969-07-20T20:17:40.123Z');
    assert.equal(view.completedAt?.toISOString(), '9999-12-31T23:59:59.999Z');
    assert.equal(view.firstChunkAt?.toISOString(), '2038-01-19T03:14:08.001Z');
    assert.equal(view.status, 'COMPLETED');

    const [, chunk] = events;
    assert.ok(chunk?.kind === 'chunkUploaded');
    const past: ProjectionEvent[] = [
      { ...chunk, uploadId: 'u-past-32', crc32: MAX32 + 1 },
      { ...chunk, uploadId: 'u-past-64', crc64nvme: MAX64 + 1n },
      { ...chunk, uploadId: 'u-negative', size: -1n },
    ];
    for (const event of past) {
      await assert.rejects(
        store.apply([{ topic: 'p.intake.chunks', partition: 0, offset: 0n, event }]),
        notRetriable,
      );
    }
    assert.deepEqual(
      (await db.rows('SELECT upload_id FROM uploads')).map((r) => r['upload_id']),
      ['u-edge'],
    );
  });
}

for (const { name, open } of DATABASES) {
  describe(`ProjectionStore on ${name}`, () => shouldProjectBatches(open));
}

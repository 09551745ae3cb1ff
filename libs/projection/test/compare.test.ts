import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareProjections,
  comparisonReader,
  openSnapshot,
  syntheticUpload,
  toProjectionEvent,
  type ProjectionRecord,
} from '../src/index.ts';
import { DATABASES } from './db.ts';

function records(count: number): ProjectionRecord[] {
  const offsets = new Map<string, bigint>();
  return Array.from(
    { length: count },
    (_, i) =>
      syntheticUpload({
        uploadId: `u${i}`,
        tenant: 't',
        drive: 'd',
        outcome: i % 2 ? 'completed' : 'aborted',
        chunks: 3,
        chunkSize: 10,
      }).events,
  )
    .flat()
    .map((e) => {
      const offset = offsets.get(e.topic) ?? 0n;
      offsets.set(e.topic, offset + 1n);
      return {
        topic: e.topic,
        partition: 0,
        offset,
        event: toProjectionEvent(e.topic, e.envelope, new Date(0)),
      };
    });
}

for (const { name, open } of DATABASES) {
  describe(`compareProjections on ${name}`, () => {
    it('finds nothing between two projections of the same records, read in small pages', async (t) => {
      const live = await open(t);
      const rebuilt = await open(t);
      const all = records(9);
      await live.db.store('g').apply(all);
      // The rebuild reads the topics one after the other (uploads first), in batches of 7.
      const store = rebuilt.db.store('g');
      const byTopic = [...all].sort((a, b) =>
        a.topic === b.topic ? Number(a.offset - b.offset) : a.topic < b.topic ? 1 : -1,
      );
      for (let i = 0; i < byTopic.length; i += 7) await store.apply(byTopic.slice(i, i + 7));
      const result = await compareProjections(comparisonReader(live.db), comparisonReader(rebuilt.db), {
        groupId: 'g',
        pageSize: 4,
      });
      assert.deepEqual(result.differences, []);
      assert.equal(result.differenceCount, 0);
      assert.ok(result.rowsCompared > 9 + 27);
    });

    it('names the rows and columns that differ, and rows only one side has', async (t) => {
      const live = await open(t);
      const rebuilt = await open(t);
      const all = records(4);
      await live.db.store('g').apply(all);
      await rebuilt.db.store('g').apply(all);
      await rebuilt.rows("UPDATE uploads SET chunks_staged = 99, filename = 'x' WHERE upload_id = 'u1'");
      await rebuilt.rows("DELETE FROM chunks WHERE upload_id = 'u2' AND chunk_number = 1");
      await live.rows("DELETE FROM parts WHERE upload_id = 'u3' AND part_number = 2");
      const result = await compareProjections(comparisonReader(live.db), comparisonReader(rebuilt.db), {
        groupId: 'g',
        pageSize: 3,
      });
      assert.deepEqual(result.differences, [
        {
          table: 'uploads',
          key: 'upload_id=u1',
          kind: 'different',
          columns: [
            { column: 'filename', live: 'u1.bin', rebuilt: 'x' },
            { column: 'chunks_staged', live: 3, rebuilt: 99 },
          ],
        },
        { table: 'chunks', key: 'upload_id=u2 chunk_number=1', kind: 'only-live', columns: [] },
        { table: 'parts', key: 'upload_id=u3 part_number=2', kind: 'only-rebuilt', columns: [] },
      ]);
    });

    it('reads a snapshot as of its opening, positions and rows, while the store commits more', async (t) => {
      const live = await open(t);
      const copy = await open(t);
      const all = records(6);
      const first = all.slice(0, 20);
      await live.db.store('g').apply(first);
      await copy.db.store('g').apply(first);
      const snapshot = await openSnapshot(live.db, 'g');
      try {
        await live.db.store('g').apply(all.slice(20));
        await live.rows("UPDATE uploads SET filename = 'later' WHERE upload_id = 'u0'");
        assert.deepEqual(
          snapshot.positions.map((p) => [p.topic, p.partition, p.nextOffset]).sort(),
          (await copy.db.store('g').positions()).map((p) => [p.topic, p.partition, p.nextOffset]).sort(),
        );
        const held = await compareProjections(snapshot.reader, comparisonReader(copy.db), { groupId: 'g' });
        assert.equal(held.differenceCount, 0, JSON.stringify(held.differences));
      } finally {
        // Before the pool closes: a pool ends only once its sessions are back.
        await snapshot.close();
      }
      const now = await compareProjections(comparisonReader(live.db), comparisonReader(copy.db), {
        groupId: 'g',
      });
      assert.ok(now.differenceCount > 0);
    });
  });
}

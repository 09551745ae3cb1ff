import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compareProjections,
  MysqlProjectionStore,
  syntheticUpload,
  toProjectionEvent,
  type ProjectionRecord,
} from '../src/index.ts';
import { projectionDatabase } from './db.ts';

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

describe('compareProjections', () => {
  it('finds nothing between two projections of the same records, read in small pages', async (t) => {
    const live = await projectionDatabase(t);
    const rebuilt = await projectionDatabase(t);
    const all = records(9);
    await new MysqlProjectionStore({ pool: live.pool, groupId: 'g' }).apply(all);
    // The rebuild reads the topics one after the other (uploads first), in batches of 7.
    const store = new MysqlProjectionStore({ pool: rebuilt.pool, groupId: 'g' });
    const byTopic = [...all].sort((a, b) =>
      a.topic === b.topic ? Number(a.offset - b.offset) : a.topic < b.topic ? 1 : -1,
    );
    for (let i = 0; i < byTopic.length; i += 7) await store.apply(byTopic.slice(i, i + 7));
    const result = await compareProjections(live.pool, rebuilt.pool, { groupId: 'g', pageSize: 4 });
    assert.deepEqual(result.differences, []);
    assert.equal(result.differenceCount, 0);
    assert.ok(result.rowsCompared > 9 + 27);
  });

  it('names the rows and columns that differ, and rows only one side has', async (t) => {
    const live = await projectionDatabase(t);
    const rebuilt = await projectionDatabase(t);
    const all = records(4);
    await new MysqlProjectionStore({ pool: live.pool, groupId: 'g' }).apply(all);
    await new MysqlProjectionStore({ pool: rebuilt.pool, groupId: 'g' }).apply(all);
    await rebuilt.connection.query(
      "UPDATE uploads SET chunks_staged = 99, filename = 'x' WHERE upload_id = 'u1'",
    );
    await rebuilt.connection.query("DELETE FROM chunks WHERE upload_id = 'u2' AND chunk_number = 1");
    await live.connection.query("DELETE FROM parts WHERE upload_id = 'u3' AND part_number = 2");
    const result = await compareProjections(live.pool, rebuilt.pool, { groupId: 'g', pageSize: 3 });
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
});

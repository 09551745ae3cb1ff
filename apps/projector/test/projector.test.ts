import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { buildProjector } from '../src/projector.ts';
import { runRebuild } from '../src/rebuild.ts';
import {
  connectBackbone,
  DATABASE_KINDS,
  endOffsets,
  expectedProjection,
  mixedUploads,
  produce,
  silent,
  snapshot,
  testProjection,
  waitProjected,
} from './fixtures.ts';

for (const kind of DATABASE_KINDS) {
  describe(`projector on ${kind}`, () => {
    it('projects 100 uploads ending every way, interleaved across topics and repeated, into the rows their events say; a rebuild gives the same rows', async (t) => {
      const backbone = await connectBackbone(t);
      const live = await testProjection(t, kind);
      const groupId = `${backbone.prefix}projector`;
      const events = mixedUploads(100);
      const half = Math.floor(events.length / 2);
      const first = events.slice(0, half);
      // The first half arrives backwards: how uploads ended before what happened to them.
      await produce(
        backbone,
        first.filter((e) => e.topic === 'intake.uploads'),
      );

      const registry = new Registry();
      const projector = buildProjector({
        backbone,
        store: live.db.store(groupId),
        groupId,
        maxRecords: 200,
        maxWaitMs: 50,
        registry,
        logger: silent,
      });
      await projector.start();
      t.after(() => projector.close());
      await waitProjected(live.db, groupId, backbone);
      const early = (await live.read()).uploads.get('up-0000');
      assert.deepEqual(
        [early?.status, early?.filename, early?.chunksStaged],
        ['COMPLETED', 'up-0000.bin', 0],
      );
      await produce(
        backbone,
        first.filter((e) => e.topic === 'intake.parts'),
      );
      await produce(
        backbone,
        first.filter((e) => e.topic === 'intake.chunks'),
      );
      // The rest arrives while the projector runs, so batches mix topics and partial histories.
      await produce(backbone, events.slice(half));
      await waitProjected(live.db, groupId, backbone);

      const rows = await live.read();
      const expected = expectedProjection(events);
      assert.deepEqual(snapshot(rows), snapshot(expected));
      // The oracle is a fold too: check the facts every upload's history was built to state.
      const byStatus = new Map<string, number>();
      for (const r of rows.uploads.values()) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
      assert.deepEqual(Object.fromEntries(byStatus), {
        COMPLETED: 33,
        FAILED: 17,
        ABORTED: 17,
        EXPIRED: 17,
        UPLOADING: 16,
      });
      const done = rows.uploads.get('up-0000');
      assert.equal(done?.chunksStaged, 3);
      assert.equal(done?.bytesStaged, 3n * 4096n);
      assert.equal(done?.partsStored, 2);
      assert.equal(done?.sizeBytes, 3n * 4096n);
      const rejected = await live.rows('SELECT COUNT(*) AS n FROM rejected_events');
      assert.equal(Number(rejected[0]?.['n']), 0);
      const metrics = await registry.metrics();
      assert.match(
        metrics,
        /sluice_projector_events_total\{topic="intake.chunks",kind="chunkUploaded",outcome="projected"\} \d+/,
      );
      await projector.measureLag();
      assert.match(
        await registry.metrics(),
        /sluice_projector_lag_records\{topic="intake\.\w+",partition="\d"\} 0/,
      );
      assert.deepEqual(
        [...(await endOffsets(backbone))].filter(([, end]) => end > 0n).length,
        (await live.rows('SELECT 1 FROM consumer_offsets')).length,
      );

      const into = await live.another('rb');
      const out: string[] = [];
      const code = await runRebuild({
        live: live.db,
        url: live.url,
        backbone,
        groupId,
        maxRecords: 500,
        maxWaitMs: 50,
        into: into.name,
        logger: silent,
        out: (line) => out.push(line),
      });
      assert.equal(code, 0, out.join('\n'));
      assert.match(out.join('\n'), /rows compared: identical/);
      assert.deepEqual(snapshot(await into.read()), snapshot(expected));
      // --into keeps the database.
      assert.deepEqual(await live.databases(into.name), [into.name]);
    });

    it('rebuild prints the rows the live projection got wrong and exits 1', async (t) => {
      const backbone = await connectBackbone(t, 1);
      const live = await testProjection(t, kind);
      const groupId = `${backbone.prefix}projector`;
      await produce(backbone, mixedUploads(6, { copies: false }));
      const projector = buildProjector({
        backbone,
        store: live.db.store(groupId),
        groupId,
        maxRecords: 100,
        maxWaitMs: 20,
        registry: new Registry(),
        logger: silent,
      });
      await projector.start();
      await waitProjected(live.db, groupId, backbone);
      await projector.close();
      await live.rows("UPDATE uploads SET chunks_staged = chunks_staged + 1 WHERE upload_id = 'up-0003'");
      await live.rows("DELETE FROM parts WHERE upload_id = 'up-0000' AND part_number = 1");

      const out: string[] = [];
      const code = await runRebuild({
        live: live.db,
        url: live.url,
        backbone,
        groupId,
        maxRecords: 100,
        maxWaitMs: 20,
        logger: silent,
        out: (line) => out.push(line),
      });
      const text = out.join('\n');
      assert.equal(code, 1, text);
      assert.match(text, /2 of \d+ rows differ/);
      assert.match(text, /uploads upload_id=up-0003: chunks_staged live=3 rebuilt=2/);
      assert.match(text, /parts upload_id=up-0000 part_number=1: only in the rebuilt projection/);
      // Without --into or --keep the rebuilt database is gone afterwards.
      assert.deepEqual(await live.databases(`${live.name}_rebuild_`), []);
    });

    it('rebuild refuses a database named with --into that already holds tables, and leaves it', async (t) => {
      const backbone = await connectBackbone(t, 1);
      const live = await testProjection(t, kind);
      const other = await testProjection(t, kind);
      await other.rows(
        "INSERT INTO rejected_events (topic, partition_id, record_offset, error_code, message) VALUES ('x', 0, 0, 'E', 'm')",
      );
      const out: string[] = [];
      const code = await runRebuild({
        live: live.db,
        url: live.url,
        backbone,
        groupId: `${backbone.prefix}projector`,
        maxRecords: 100,
        maxWaitMs: 20,
        into: other.name,
        logger: silent,
        out: (line) => out.push(line),
      });
      const text = out.join('\n');
      assert.equal(code, 2, text);
      assert.match(text, new RegExp(`database ${other.name} already holds tables; name an empty one`));
      assert.equal((await other.rows('SELECT * FROM rejected_events')).length, 1);
    });
  });
}

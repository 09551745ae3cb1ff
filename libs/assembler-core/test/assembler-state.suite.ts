import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import type { PartState } from '@sluice/part-writer-core';
import type { StagingStore } from '@sluice/staging';
import { newUpload } from '@sluice/staging/testing';
import { abortedOutcome, expiredOutcome, type AssemblerState, type RecordedPart } from '../src/index.ts';
import { partWriterCreated } from './support.ts';

/** An assembler state, the staging and part-writer state beside it, dropped when `t` ends. */
export type AssemblerStateFactory = (t: TestContext) => Promise<{
  readonly store: AssemblerState;
  readonly staging: StagingStore;
  readonly partWriter: PartState;
}>;

export const part = (n: number, etag: string): RecordedPart => ({
  partNumber: n,
  bucket: 'b',
  key: 'k',
  etag,
  size: 5,
  crc64nvme: '1',
  crc32c: 0,
  crc32: 0,
  multipartUploadId: 'm1',
});
export const who = (uploadId: string) => ({ uploadId, nodeId: 'n', tenant: 't', drive: 'd' });

/** Ingest's record of an upload last active at `updatedAt`. */
async function ingestRecord(staging: StagingStore, uploadId: string, updatedAt: number): Promise<void> {
  await staging.createUpload(newUpload({ uploadId }), updatedAt);
}

/** The behaviour every {@link AssemblerState} shares, run against `AssemblyStore` on Redis and in memory. */
export function assemblerStateSuite(name: string, make: AssemblerStateFactory): void {
  describe(`AssemblerState: ${name}`, () => {
    it('keeps the latest PartStored of each part, in part order, and the multipart upload it names', async (t) => {
      const { store } = await make(t);
      const id = randomUUID();
      await store.recordPart(id, part(2, 'old'), 100);
      await store.recordPart(id, part(1, 'one'), 200);
      await store.recordPart(id, part(2, 'new'), 300);
      assert.deepEqual(
        (await store.parts(id)).map((p) => [p.partNumber, p.etag]),
        [
          [1, 'one'],
          [2, 'new'],
        ],
      );
      const state = await store.state(id);
      assert.deepEqual(state.multipart, { bucket: 'b', key: 'k', uploadId: 'm1' });
      assert.equal(state.lastPartAt, 300);
    });

    it("reads the multipart upload from the part-writer's state", async (t) => {
      const r = await make(t);
      const id = randomUUID();
      await partWriterCreated(r, id, { bucket: 'b', key: 'k' }, 'pw-mpu');
      assert.deepEqual((await r.store.state(id)).partWriterMultipart, {
        bucket: 'b',
        key: 'k',
        uploadId: 'pw-mpu',
      });
    });

    it('lets completing and expiring exclude each other, and a holder claim again', async (t) => {
      const { store, staging } = await make(t);
      const id = randomUUID();
      await ingestRecord(staging, id, 1000);
      assert.deepEqual(await store.claim(id, 'completing', 5000), { result: 'ok', since: 5000 });
      assert.deepEqual(await store.claim(id, 'completing', 6000), { result: 'ok', since: 5000 });
      assert.deepEqual(await store.claim(id, 'expiring', 7000, 6000), { result: 'held', by: 'completing' });

      const idle = randomUUID();
      await ingestRecord(staging, idle, 1000);
      assert.deepEqual(await store.claim(idle, 'expiring', 9000, 500), {
        result: 'active',
        lastActivity: 1000,
      });
      await store.recordPart(idle, part(1, 'e'), 2000);
      assert.deepEqual(await store.claim(idle, 'expiring', 9000, 1500), {
        result: 'active',
        lastActivity: 2000,
      });
      assert.deepEqual(await store.claim(idle, 'expiring', 9000, 2500), { result: 'ok', since: 9000 });
      assert.deepEqual(await store.claim(idle, 'completing', 9500), { result: 'held', by: 'expiring' });
      assert.deepEqual(await store.claim(randomUUID(), 'expiring', 9000, 2500), { result: 'missing' });
    });

    it('keeps the first outcome, refuses claims and parts after it, and outlives the upload keys', async (t) => {
      const { store, staging } = await make(t);
      const id = randomUUID();
      const first = abortedOutcome(who(id), 'client', [], new Date(1));
      const second = expiredOutcome(who(id), new Date(0), 'idle', [], new Date(2));
      assert.equal((await store.settle(id, first)).event.eventId, first.event.eventId);
      assert.equal((await store.settle(id, second)).event.eventId, first.event.eventId);
      assert.equal((await store.outcome(id))?.published, false);
      await store.markPublished(id);
      assert.equal((await store.outcome(id))?.published, true);
      assert.deepEqual(await store.claim(id, 'completing'), { result: 'done' });
      assert.equal(await store.recordPart(id, part(1, 'late')), false);
      assert.deepEqual(await store.parts(id), []);
      await staging.deleteUpload(id);
      assert.ok(await store.outcome(id));
    });
  });
}

import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import type { ChunkFacts, StoredPart } from '@sluice/part-ledger';
import type { StagingStore } from '@sluice/staging';
import { newUpload } from '@sluice/staging/testing';
import type { PartState, UploadInit } from '../src/index.ts';

/** A part-writer state and the staging beside it, dropped when `t` ends. */
export type PartStateFactory = (t: TestContext) => Promise<{ store: PartState; staging: StagingStore }>;

export const init: UploadInit = {
  tenant: 't',
  drive: 'd',
  nodeId: 'n',
  bucket: 'b',
  key: 'k',
  checksumMode: 'crc64nvme',
  policy: { kind: 'fixed', partSize: 5 * 1024 * 1024 },
  fixedChunkSize: 0,
  filename: 'f',
  mimeType: 'text/plain',
  metadata: { a: '1' },
};

function chunk(n: number, generation: number, size = 10): ChunkFacts {
  return {
    chunk: n,
    size,
    crc64nvme: 2n ** 63n + BigInt(n),
    crc32c: 7,
    crc32: 0,
    prefix: `p${n}.${generation}`,
    segmentCount: 1,
    segmentSize: 1024,
    generation,
  };
}

export function partStateSuite(name: string, make: PartStateFactory): void {
  describe(`PartState: ${name}`, () => {
    it('stores and loads what an upload has come to', async (t) => {
      const { store } = await make(t);
      const id = randomUUID();
      assert.equal(await store.load(id), undefined);
      await store.saveInit(id, init);
      await store.saveInit(id, { ...init, bucket: 'other' });
      await store.saveChunk(id, chunk(1, 0));
      await store.saveChunk(id, chunk(0, 0));
      await store.saveSealed(id, 2, 'ab');
      assert.equal((await store.load(id))!.contentSha256, undefined, 'no content hash before one is saved');
      await store.saveContentSha256(id, 'cd');
      await store.saveContentSha256(id, 'ef');
      const part: StoredPart = {
        partNumber: 1,
        start: 0,
        end: 20,
        etag: 'e',
        versionId: '',
        single: true,
        crc64nvme: 2n ** 64n - 1n,
        crc32c: 0,
        crc32: 0,
        firstChunk: 0,
        lastChunk: 1,
        fingerprint: 'fp',
      };
      await store.savePart(id, part);
      await store.addGarbage(id, 'old', 3);
      const state = (await store.load(id))!;
      assert.equal(state.init?.bucket, 'b', 'the first init stays');
      assert.deepEqual(state.chunks, [chunk(0, 0), chunk(1, 0)]);
      assert.deepEqual(state.sealed, { totalChunks: 2, sha256: 'ab' });
      assert.equal(state.contentSha256, 'cd', 'the first content hash stays');
      assert.deepEqual(state.parts, [part]);
      assert.deepEqual([...state.garbage], [['old', 3]]);
      assert.equal(state.done, false);
    });

    it('keeps the hash checkpoint after the most parts, bytes intact', async (t) => {
      const { store } = await make(t);
      const id = randomUUID();
      await store.saveInit(id, init);
      assert.equal((await store.load(id))!.hashCheckpoint, undefined, 'no checkpoint before one is saved');
      const state = Buffer.from([0, 1, 2, 255, 254, 10, 13, 0]);
      const at = (part: number) => ({
        part,
        offset: part * 100,
        state: Buffer.concat([state, Buffer.from([part])]),
        chain: `c${part}`,
      });
      await store.saveHashCheckpoint(id, at(2));
      await store.saveHashCheckpoint(id, at(1));
      assert.deepEqual((await store.load(id))!.hashCheckpoint, at(2), 'a process behind never takes it back');
      await store.saveHashCheckpoint(id, at(3));
      assert.deepEqual((await store.load(id))!.hashCheckpoint, at(3));
      await store.delete(id);
      assert.equal(await store.load(id), undefined);
    });

    it('keeps the newest generation of a chunk', async (t) => {
      const { store } = await make(t);
      const id = randomUUID();
      assert.equal(await store.saveChunk(id, chunk(0, 1)), true);
      assert.equal(await store.saveChunk(id, chunk(0, 1)), true, 'the same write again');
      assert.equal(await store.saveChunk(id, chunk(0, 0)), false);
      assert.equal(await store.saveChunk(id, { ...chunk(0, 1), prefix: 'other' }), false);
      assert.deepEqual((await store.load(id))!.chunks, [chunk(0, 1)]);
      assert.equal(await store.saveChunk(id, chunk(0, 2)), true);
      assert.deepEqual((await store.load(id))!.chunks, [chunk(0, 2)]);
    });

    it('keeps the first multipart upload id and the first failure', async (t) => {
      const { store } = await make(t);
      const id = randomUUID();
      assert.equal(await store.claimMultipart(id, 'A'), 'A');
      assert.equal(await store.claimMultipart(id, 'B'), 'A');
      assert.equal(await store.multipart(id), undefined, 'no target known yet');
      await store.saveInit(id, init);
      assert.deepEqual(await store.multipart(id), { bucket: init.bucket, key: init.key, uploadId: 'A' });
      const first = { code: 'STORAGE_REJECTED', message: 'm', s3Code: 'NoSuchBucket' };
      assert.deepEqual(await store.markFailed(id, first), first);
      assert.deepEqual(await store.markFailed(id, { code: 'INTERNAL', message: 'x', s3Code: '' }), first);
    });

    it("notes deleted writes in its own state and lowers ingest's counter through staging, once per chunk", async (t) => {
      const { store, staging } = await make(t);
      // The part-writer's release (upload-outcomes.ts): taken off ingest's count by its owner while
      // the part-writer has state for the upload, then noted in its own hash.
      const release = async (id: string, c: ChunkFacts): Promise<number> => {
        const released = (await store.exists(id)) ? await staging.releaseChunk(id, c.chunk, c.size) : 0;
        await store.markDeleted(id, c);
        return released;
      };
      const { meta } = await staging.createUpload(
        newUpload({ destination: { checksumMode: 'none', partSizePolicy: init.policy } }),
      );
      const id = meta.uploadId;
      // Ingest staged three chunks of 10 bytes.
      for (const n of [0, 1, 2]) {
        await staging.commitChunk(
          id,
          { ...chunk(n, 0), crc64nvme: '0', sha256: '', writeId: `w${n}`, emitted: true },
          '',
        );
      }
      assert.equal(await release(id, chunk(0, 0)), 0, 'no state: nothing to release against');
      assert.equal(await store.exists(id), false, 'and the state is not brought back');
      await store.saveInit(id, init);
      assert.equal(await release(id, chunk(0, 0)), 10);
      assert.equal(await release(id, chunk(0, 0)), 0);
      assert.equal(await release(id, chunk(0, 1)), 0, 'a replacement is not counted again');
      assert.equal(await release(id, chunk(1, 0)), 10);
      assert.equal((await staging.getUpload(id))!.stagedBytes, 10);
      assert.deepEqual([...(await store.load(id))!.deleted].sort(), [
        [0, 'p0.1'],
        [1, 'p1.0'],
      ]);
    });
  });
}

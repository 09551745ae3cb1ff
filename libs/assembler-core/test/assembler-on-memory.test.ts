/**
 * The assembler's rules on in-memory staging, state and object store (each held to its real
 * adapter by a shared suite): no services. assembler.test.ts runs the same cases and more
 * against Redis and the S3 server.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { crc64nvme } from '@sluice/checksums';
import type { UploadEvent } from '@sluice/proto';
import { outcomeEventId } from '../src/index.ts';
import { MiB, memoryDrive, memoryState, sha256, stageUpload, testAssembler, writeFile } from './support.ts';

function outcomes(events: readonly UploadEvent[], $case: NonNullable<UploadEvent['event']>['$case']) {
  return events.filter((e) => e.event?.$case === $case);
}

describe('Assembler on in-memory stores', () => {
  it('completes a multipart upload from its PartStored list, verifies it, announces it once and drops its state', async () => {
    const r = memoryState();
    const d = memoryDrive();
    const a = testAssembler(r, d);
    const data = randomBytes(11 * MiB + 123);
    const file = await writeFile(d, { data, sha256: sha256(data), metadata: { owner: 'x' } });
    await stageUpload(r, d, { key: file.key, uploadId: file.uploadId });
    // Parts out of order, part 2 twice (the later PartStored wins).
    for (const e of [file.partStored[2]!, file.partStored[1]!, file.partStored[0]!, file.partStored[1]!])
      await a.handle(e);
    await a.handle(file.allPartsStored);
    await a.handle(file.allPartsStored);

    const done = outcomes(a.sink.events, 'uploadCompleted');
    assert.equal(new Set(done.map((e) => e.eventId)).size, 1, 'one outcome, however often it is asked');
    assert.equal(done[0]!.eventId, outcomeEventId(file.uploadId, 'upload-completed'));
    const value = done[0]!.event?.$case === 'uploadCompleted' ? done[0]!.event.value : undefined;
    assert.equal(value?.size, BigInt(data.length));
    assert.equal(value.crc64nvme, crc64nvme(data));
    assert.deepEqual(Buffer.from(value.sha256), sha256(data));
    assert.equal(value.partCount, 3);
    assert.match(value.etag, /^[0-9a-f]{32}-3$/);
    assert.deepEqual(value.metadata, { owner: 'x' });
    const read = await d.store.sha256OfObject({ bucket: d.bucket, key: file.key, versionId: '' });
    assert.deepEqual(read, { sha256: sha256(data), size: data.length });
    assert.equal(await r.staging.getUpload(file.uploadId), undefined, "the upload's staging is dropped");
    assert.equal((await r.store.outcome(file.uploadId))?.published, true);
  });

  it('announces a single PutObject after verifying it', async () => {
    const r = memoryState();
    const d = memoryDrive();
    const a = testAssembler(r, d);
    const file = await writeFile(d, { data: randomBytes(1000) });
    await a.handle(file.allPartsStored);
    const [done] = outcomes(a.sink.events, 'uploadCompleted');
    assert.equal(done?.event?.$case === 'uploadCompleted' && done.event.value.size, 1000n);
  });

  it('fails the upload and removes the object when the SHA-256 does not match', async () => {
    const r = memoryState();
    const d = memoryDrive();
    const a = testAssembler(r, d);
    const data = randomBytes(6 * MiB);
    const file = await writeFile(d, { data, sha256: sha256(Buffer.from('something else')) });
    await a.handle(file.partStored[0]!);
    await a.handle(file.partStored[1]!);
    await a.handle(file.allPartsStored);
    const [failed] = outcomes(a.sink.events, 'uploadFailed');
    assert.equal(
      failed?.event?.$case === 'uploadFailed' && failed.event.value.errorCode,
      'CHECKSUM_MISMATCH',
    );
    assert.equal(outcomes(a.sink.events, 'uploadCompleted').length, 0);
    assert.equal(await d.store.headObject({ bucket: d.bucket, key: file.key, versionId: '' }), undefined);
  });

  it("passes the part-writer's UploadAborted on, aborting the multipart upload it had named", async () => {
    const r = memoryState();
    const d = memoryDrive();
    const a = testAssembler(r, d);
    const file = await writeFile(d, { data: randomBytes(11 * MiB) });
    await a.handle(file.partStored[0]!);
    await a.handle({
      ...file.allPartsStored,
      eventId: 'abort',
      event: { $case: 'uploadAborted', value: { reason: 'client' } },
    });
    assert.equal(outcomes(a.sink.events, 'uploadAborted').length, 1);
    const ref = { bucket: d.bucket, key: file.key, uploadId: file.multipartUploadId };
    assert.equal(await d.store.listParts(ref, 'none'), 'no-such-upload', 'the multipart upload is aborted');
  });
});

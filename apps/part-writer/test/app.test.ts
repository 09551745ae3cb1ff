import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { crc32c, crc64nvme } from '@sluice/checksums';
import { Registry } from 'prom-client';
import {
  MiB,
  assertStableRanges,
  completeAndDownload,
  harness,
  randomSizes,
  startApp,
  until,
} from './harness.ts';
import { SimulatedUpload, type UploadOptions } from './simulated-upload.ts';

interface Case {
  readonly name: string;
  readonly file: Buffer;
  readonly sizes: readonly number[];
  readonly options?: UploadOptions;
}

describe('part-writer app', () => {
  it('answers /healthz and /readyz once its processor runs, and exposes its metrics', async (t) => {
    const h = await harness(t);
    const registry = new Registry();
    const app = await startApp(t, h, { registry });
    assert.equal((await app.http.inject('/healthz')).statusCode, 200);
    const ready = await app.http.inject('/readyz');
    assert.equal(ready.statusCode, 200, ready.body);
    await app.component.close();
    assert.equal((await app.http.inject('/readyz')).statusCode, 503, 'not ready once the processor stopped');
    const metrics = await app.http.inject('/metrics');
    assert.match(metrics.body, /^# TYPE sluice_part_writer_parts_stored_total counter/m);
    assert.match(metrics.body, /^# TYPE sluice_part_writer_part_upload_seconds histogram/m);
  });

  it(
    'lands files of 0 B to 64 MiB byte-identical from shuffled, repeated chunk events',
    { timeout: 120_000 },
    async (t) => {
      const h = await harness(t);
      const registry = new Registry();
      await startApp(t, h, { registry });
      const sized = (name: string, length: number, options?: UploadOptions, sizes?: number[]): Case => ({
        name,
        file: randomBytes(length),
        sizes: sizes ?? randomSizes(length),
        ...(options ? { options } : {}),
      });
      const cases: Case[] = [
        sized('0 B, no chunk', 0, undefined, []),
        sized('0 B, one empty chunk', 0, undefined, [0]),
        sized('1 B', 1, undefined, [1]),
        sized('exactly one part', 5 * MiB, { checksumMode: 'crc32c' }, [MiB, 4 * MiB]),
        sized('one part and 1 B', 5 * MiB + 1, { checksumMode: 'none' }, [5 * MiB, 1]),
        sized('1-byte chunks across part boundaries', 10 * MiB + 300, undefined, [
          5 * MiB - 100,
          ...Array<number>(200).fill(1),
          5 * MiB - 100,
          ...Array<number>(300).fill(1),
        ]),
        sized('chunks bigger than a part', 23 * MiB + 5, { checksumMode: 'crc32c' }, [
          12 * MiB,
          11 * MiB + 5,
        ]),
        sized('fixed chunk size, cut out of order', 17 * MiB + 3, { fixedChunkSize: 2 * MiB }, [
          ...Array<number>(8).fill(2 * MiB),
          MiB + 3,
        ]),
        sized('64 MiB, random chunks', 64 * MiB),
      ];
      const uploads = await Promise.all(
        cases.map(async (c) => {
          const upload = await SimulatedUpload.create(h, c.options);
          await upload.stageAll(c.file, c.sizes);
          await upload.seal(c.sizes.length, c.file);
          await upload.sendShuffled();
          return upload;
        }),
      );
      for (const [i, c] of cases.entries()) {
        const upload = uploads[i]!;
        await h.parts.waitFor(upload.uploadId, 'allPartsStored', 90_000);
        const all = h.parts.find(upload.uploadId, 'allPartsStored')!;
        assert.equal(all.totalSize, BigInt(c.file.length), c.name);
        assert.equal(all.totalChunks, c.sizes.length, c.name);
        assert.equal(all.crc64nvme, crc64nvme(c.file), `${c.name}: whole-object CRC64NVME`);
        if (upload.meta.destination.checksumMode === 'crc32c')
          assert.equal(all.crc32c, crc32c(c.file), `${c.name}: CRC32C`);
        assert.equal(all.filename, 'file.bin');
        assert.equal(
          Buffer.from(all.sha256).toString('hex'),
          createHash('sha256').update(c.file).digest('hex'),
        );
        assert.equal(all.partCount, Math.max(1, Math.ceil(c.file.length / (5 * MiB))), c.name);
        assert.equal(all.location!.multipartUploadId === '', c.file.length <= 5 * MiB, c.name);
        assertStableRanges(h, upload.uploadId);
        const stored = await completeAndDownload(h, upload);
        assert.ok(stored.equals(c.file), `${c.name}: the object is byte-identical to the file`);
        await until(
          `${c.name}: staged bytes released`,
          async () => (await upload.segmentKeys()).length === 0,
        );
        assert.equal((await h.staging.getUpload(upload.uploadId))!.stagedBytes, 0, c.name);
      }
      const metrics = await registry.metrics();
      assert.match(metrics, /^sluice_part_writer_uploads_total\{outcome="all_parts_stored"\} 9$/m);
    },
  );

  it(
    'lands the newest write of a chunk replaced with force, whenever its parts can be written again',
    { timeout: 60_000 },
    async (t) => {
      const h = await harness(t);
      await startApp(t, h);

      // Replaced before the part-writer used it; the older write's event arrives last.
      const early = await SimulatedUpload.create(h);
      const earlyFile = randomBytes(12 * MiB);
      await early.stageAll(earlyFile, [4 * MiB, 4 * MiB, 4 * MiB]);
      const replacement = randomBytes(4 * MiB);
      replacement.copy(earlyFile, 4 * MiB);
      await early.stage(1, replacement);
      await early.seal(3);
      const [initiated, c0, c1, c2, c1again, sealed] = early.events.splice(0);
      await early.send([initiated!, c0!, c1again!, c2!, c1!, sealed!]);

      // Replaced after its part was stored: the chunk is the whole part, so the part is written again.
      const late = await SimulatedUpload.create(h);
      const lateFile = randomBytes(12 * MiB);
      await late.stageAll(lateFile, [5 * MiB, 5 * MiB]);
      await late.send();
      await until('parts 1 and 2 stored', () => h.parts.partsStored(late.uploadId).length === 2);
      await until('their chunks released', async () => (await late.segmentKeys()).length === 0);
      const rewrite = randomBytes(5 * MiB);
      rewrite.copy(lateFile, 5 * MiB);
      await late.stage(1, rewrite);
      await late.stage(2, lateFile.subarray(10 * MiB));
      await late.seal(3);
      await late.send();

      for (const [upload, file] of [
        [early, earlyFile],
        [late, lateFile],
      ] as const) {
        await h.parts.waitFor(upload.uploadId, 'allPartsStored');
        assertStableRanges(h, upload.uploadId);
        assert.equal(h.parts.find(upload.uploadId, 'allPartsStored')!.crc64nvme, crc64nvme(file));
        assert.ok((await completeAndDownload(h, upload)).equals(file), 'the object holds the newest bytes');
        await until(
          'every segment deleted, superseded ones too',
          async () => (await upload.segmentKeys()).length === 0,
        );
      }
      const part2 = h.parts.partsStored(late.uploadId).filter((p) => p.partNumber === 2);
      assert.equal(part2.length, 2, 'part 2 was written again');
      assert.notEqual(part2[0]!.etag, part2[1]!.etag);
    },
  );

  it(
    'fails an upload whose chunk is replaced after the bytes beside it were released',
    { timeout: 60_000 },
    async (t) => {
      const h = await harness(t);
      await startApp(t, h);
      const upload = await SimulatedUpload.create(h);
      const file = randomBytes(8 * MiB);
      await upload.stageAll(file, [4 * MiB, 4 * MiB]);
      await upload.send();
      await until('part 1 stored', () => h.parts.partsStored(upload.uploadId).length === 1);
      await until('chunk 0 released', async () => (await upload.segmentKeys()).length === 4);
      await upload.stage(1, randomBytes(4 * MiB));
      await upload.send();
      await h.parts.waitFor(upload.uploadId, 'uploadFailed');
      const failed = h.parts.find(upload.uploadId, 'uploadFailed')!;
      assert.equal(failed.errorCode, 'CHUNK_REPLACED_TOO_LATE');
      assert.match(failed.message, /chunk 1 was replaced after part 1/);
      assert.deepEqual(await upload.segmentKeys(), []);
      assert.equal((await h.staging.getUpload(upload.uploadId))!.stagedBytes, 0);
      const listed = await h.s3.send(new ListMultipartUploadsCommand({ Bucket: h.bucket }));
      assert.equal(listed.Uploads?.length ?? 0, 0, 'the multipart upload was aborted');
    },
  );

  it(
    'fails an upload the store refuses, with the S3 code, and releases its bytes',
    { timeout: 60_000 },
    async (t) => {
      const h = await harness(t);
      await startApp(t, h);
      for (const size of [3 * MiB, 11 * MiB]) {
        const upload = await SimulatedUpload.create(h, { bucket: `no-such-bucket-${Date.now()}` });
        const file = randomBytes(size);
        await upload.stageAll(file, [size]);
        await upload.seal(1);
        await upload.send();
        await h.parts.waitFor(upload.uploadId, 'uploadFailed');
        const failed = h.parts.find(upload.uploadId, 'uploadFailed')!;
        assert.equal(failed.errorCode, 'STORAGE_REJECTED');
        assert.equal(failed.s3Code, 'NoSuchBucket');
        assert.match(failed.message, /NoSuchBucket/);
        assert.match(failed.message, /check the bucket, credentials and permissions of drive "d"/);
        assert.equal(h.parts.find(upload.uploadId, 'allPartsStored'), undefined);
        assert.deepEqual(await upload.segmentKeys(), []);
        assert.equal((await h.staging.getUpload(upload.uploadId))!.stagedBytes, 0);
      }
    },
  );

  it(
    'dead-letters an event that contradicts its upload and fails the upload',
    { timeout: 60_000 },
    async (t) => {
      const h = await harness(t);
      await startApp(t, h);
      const upload = await SimulatedUpload.create(h, { fixedChunkSize: MiB });
      // Ingest would refuse this chunk: it is larger than the declared fixed chunk size.
      await upload.stage(0, randomBytes(2 * MiB));
      await upload.send();
      await h.parts.waitFor(upload.uploadId, 'uploadFailed');
      const failed = h.parts.find(upload.uploadId, 'uploadFailed')!;
      assert.equal(failed.errorCode, 'INVALID_ARGUMENT');
      assert.match(failed.message, /more than the upload's fixed chunk size/);
      assert.deepEqual(await upload.segmentKeys(), []);
    },
  );

  it('aborts an upload: no multipart upload and no staged bytes are left', { timeout: 60_000 }, async (t) => {
    const h = await harness(t);
    await startApp(t, h);
    const upload = await SimulatedUpload.create(h);
    const file = randomBytes(13 * MiB);
    await upload.stageAll(file, [6 * MiB, 6 * MiB, MiB]);
    await upload.send();
    await until('two parts stored', () => h.parts.partsStored(upload.uploadId).length === 2);
    const listed = await h.s3.send(new ListMultipartUploadsCommand({ Bucket: h.bucket }));
    assert.equal(listed.Uploads?.length, 1, 'a multipart upload is under way');
    await upload.abort('the user cancelled');
    await upload.send();
    await h.parts.waitFor(upload.uploadId, 'uploadAborted');
    assert.equal(h.parts.find(upload.uploadId, 'uploadAborted')!.reason, 'the user cancelled');
    const after = await h.s3.send(new ListMultipartUploadsCommand({ Bucket: h.bucket }));
    assert.equal(after.Uploads?.length ?? 0, 0);
    assert.deepEqual(await upload.segmentKeys(), []);
    assert.equal(await h.redis.exists(h.store.key(upload.uploadId)), 0, "the part-writer's state is gone");
    assert.equal((await h.staging.getUpload(upload.uploadId))!.status, 'aborted', "ingest's record stays");
  });
});

/**
 * Long runs of the part-writer process (`npm run soak`): many crashes on a 200 MiB upload, a
 * rebalance between two processes in the middle of uploads, and peak memory during a 1 GiB upload.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { Crc64Nvme } from '@sluice/checksums';
import { kafkaAdmin } from '@sluice/testing';
import { crashAndRestart } from './crash.ts';
import {
  MiB,
  assertStableRanges,
  completeAndDownload,
  harness,
  randomSizes,
  requireRedisRoom,
  until,
} from './harness.ts';
import { SimulatedUpload, trickle } from './simulated-upload.ts';
import { processEnv, startPartWriter } from './process.ts';

/** Members of a stable consumer group that hold partitions (0 while it rebalances). */
async function groupMembers(groupId: string): Promise<number> {
  const admin = kafkaAdmin();
  try {
    const group = (await admin.describeGroups({ groups: [groupId] })).get(groupId);
    if (group?.state !== 'Stable') return 0;
    return [...group.members.values()].filter((m) => (m.assignments?.size ?? 0) > 0).length;
  } finally {
    await admin.close();
  }
}

describe('part-writer process, long runs', () => {
  it('finishes a 200 MiB upload byte-identical through six SIGKILLs', { timeout: 600_000 }, async (t) => {
    const started = performance.now();
    await crashAndRestart(t, 200 * MiB, 6, 64 * MiB);
    t.diagnostic(`200 MiB with six kills: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  });

  it(
    'loses nothing when a second process joins and the first leaves mid-upload',
    { timeout: 300_000 },
    async (t) => {
      const h = await harness(t);
      const env = processEnv(t, h, { partConcurrency: 1, uploadConcurrency: 1 });
      const group = env['SLUICE_PART_WRITER_GROUP_ID']!;
      await requireRedisRoom(h, 8 * 12 * MiB);
      const files = Array.from({ length: 8 }, () => randomBytes(40 * MiB + Math.floor(Math.random() * MiB)));
      const uploads = await Promise.all(files.map(() => SimulatedUpload.create(h)));
      const stored = (): number => uploads.reduce((n, u) => n + h.parts.partsStored(u.uploadId).length, 0);
      const finished = (): number =>
        uploads.filter((u) => h.parts.find(u.uploadId, 'allPartsStored') !== undefined).length;
      // Chunks trickle in as from clients, so every upload is still open when the second process
      // joins and when the first one leaves.
      const feeding = Promise.all(
        uploads.map((upload, i) => {
          const file = files[i]!;
          const sizes = randomSizes(file.length, 3 * MiB);
          const offsets = sizes.map((_, n) => sizes.slice(0, n).reduce((sum, x) => sum + x, 0));
          return trickle(upload, sizes.length, (n) => file.subarray(offsets[n], offsets[n]! + sizes[n]!), {
            capBytes: 12 * MiB,
            window: 4,
            pauseMs: 400,
          });
        }),
      );

      const a = startPartWriter(t, env);
      await until('process A to store some parts', () => stored() >= 4, 120_000);
      const b = startPartWriter(t, env);
      await until(
        'both processes to share the partitions',
        () => groupMembers(group).then((n) => n === 2),
        120_000,
      );
      assert.ok(finished() < uploads.length / 2, 'B joined in the middle of the uploads');
      const before = stored();
      await until('more parts stored after the rebalance', () => stored() >= before + 4, 120_000);
      assert.ok(finished() < uploads.length, 'A leaves in the middle of the uploads');
      assert.equal(await a.kill('SIGTERM'), 0, 'A drains and leaves the group cleanly');
      await feeding;
      for (const upload of uploads) await h.parts.waitFor(upload.uploadId, 'allPartsStored', 180_000);
      assert.equal(await b.kill('SIGTERM'), 0);
      for (const [i, upload] of uploads.entries()) {
        assertStableRanges(h, upload.uploadId);
        const ids = new Set(h.parts.partsStored(upload.uploadId).map((p) => p.location!.multipartUploadId));
        assert.equal(ids.size, 1, 'one multipart upload per file');
        assert.ok((await completeAndDownload(h, upload)).equals(files[i]!), `upload ${i} is byte-identical`);
        assert.equal((await h.staging.getUpload(upload.uploadId))!.stagedBytes, 0);
      }
    },
  );

  it(
    'stays within part concurrency × part size × 2 + 150 MB during a 1 GiB upload',
    { timeout: 600_000 },
    async (t) => {
      const h = await harness(t);
      const partConcurrency = 8;
      const partSize = 16 * MiB;
      const env = processEnv(t, h, { partConcurrency, uploadConcurrency: partConcurrency, partSize });
      const writer = startPartWriter(t, env);
      await requireRedisRoom(h, 160 * MiB);
      const upload = await SimulatedUpload.create(h, { partSize });
      const total = 1024 * MiB;
      const chunkSize = 8 * MiB;
      const crc = new Crc64Nvme();
      const sha = createHash('sha256');
      let peak = 0;
      const sampler = setInterval(() => (peak = Math.max(peak, writer.peakRss())), 100);
      t.after(() => clearInterval(sampler));
      const started = performance.now();
      // 128 MiB may wait in Redis: enough for all 8 part slots to be busy at once.
      await trickle(
        upload,
        total / chunkSize,
        () => {
          const bytes = randomBytes(chunkSize);
          crc.update(bytes);
          sha.update(bytes);
          return bytes;
        },
        { capBytes: 128 * MiB, window: 1 },
      );
      await h.parts.waitFor(upload.uploadId, 'allPartsStored', 300_000);
      const seconds = (performance.now() - started) / 1000;
      peak = Math.max(peak, writer.peakRss());
      assert.equal(await writer.kill('SIGTERM'), 0);
      const all = h.parts.find(upload.uploadId, 'allPartsStored')!;
      assert.equal(all.totalSize, BigInt(total));
      assert.equal(all.crc64nvme, crc.digest());
      assertStableRanges(h, upload.uploadId);

      const limit = partConcurrency * partSize * 2 + 150 * 1e6;
      t.diagnostic(
        `1 GiB in ${seconds.toFixed(1)} s; peak RSS ${(peak / MiB).toFixed(0)} MiB; ` +
          `limit ${(limit / MiB).toFixed(0)} MiB (${partConcurrency} × 16 MiB × 2 + 150 MB)`,
      );
      assert.ok(peak > 0 && peak <= limit, `peak RSS ${peak} bytes is within ${limit}`);

      // The object itself, streamed rather than held: its CRC and SHA-256 match what was sent.
      await completeAndDownload(h, upload, { download: false });
      const object = await h.s3.send(new GetObjectCommand({ Bucket: h.bucket, Key: all.location!.key }));
      const got = new Crc64Nvme();
      const gotSha = createHash('sha256');
      for await (const piece of object.Body as AsyncIterable<Buffer>) {
        got.update(piece);
        gotSha.update(piece);
      }
      assert.equal(got.digest(), crc.digest());
      assert.equal(gotSha.digest('hex'), sha.digest('hex'));
    },
  );
});

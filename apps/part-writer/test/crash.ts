import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { TestContext } from 'node:test';
import { crc64nvme } from '@sluice/checksums';
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

/**
 * Feeds a file of `size` bytes in random chunks as a client would over time (at most `capBytes`
 * staged at once, events in shuffled windows with repeats) to part-writer processes, killing one
 * with SIGKILL `kills` times (alternately just after a part was stored and at a random time after
 * its start); the last one runs to the end and stops with SIGTERM. Then checks that nothing was
 * lost, that no part number ever changed its byte range, and that the whole-file SHA-256 survived.
 */
export async function crashAndRestart(
  t: TestContext,
  size: number,
  kills: number,
  capBytes: number,
): Promise<void> {
  const h = await harness(t);
  await requireRedisRoom(h, capBytes + 16 * MiB);
  // One part at a time, so a kill lands between any two steps of some part.
  const env = processEnv(t, h, { partConcurrency: 1, uploadConcurrency: 1 });
  const file = randomBytes(size);
  const sizes = randomSizes(file.length);
  const offsets = sizes.map((_, n) => sizes.slice(0, n).reduce((sum, x) => sum + x, 0));
  const upload = await SimulatedUpload.create(h);
  const id = upload.uploadId;
  const finished = (): boolean => h.parts.find(id, 'allPartsStored') !== undefined;

  let writer = startPartWriter(t, env);
  const feeding = trickle(upload, sizes.length, (n) => file.subarray(offsets[n], offsets[n]! + sizes[n]!), {
    capBytes,
  });
  let killed = 0;
  while (killed < kills && !finished()) {
    if (killed % 2 === 0) {
      // Right after a part: between its upload, its event, its record and the release.
      const target = h.parts.partsStored(id).length + 1;
      await until(
        'a part stored by this process',
        () => h.parts.partsStored(id).length >= target || finished(),
        120_000,
      );
      await sleep(Math.random() * 120);
    } else {
      // Anywhere: starting, joining the group, replaying events, writing parts.
      await sleep(500 + Math.random() * 3000);
    }
    if (finished()) break;
    t.diagnostic(`SIGKILL with ${h.parts.partsStored(id).length} PartStored seen`);
    await writer.kill('SIGKILL');
    killed++;
    writer = startPartWriter(t, env);
  }
  await feeding;
  await h.parts.waitFor(id, 'allPartsStored', 180_000);
  assert.ok(killed >= Math.min(kills, 1), `the process was killed mid-upload (${killed} times)`);
  assert.equal(await writer.kill('SIGTERM'), 0, 'the last process drains and exits cleanly');

  t.diagnostic(
    `${h.parts.partsStored(id).length} PartStored for ${h.parts.find(id, 'allPartsStored')!.partCount} parts`,
  );
  assertStableRanges(h, id);
  const uploadIds = new Set(h.parts.partsStored(id).map((p) => p.location!.multipartUploadId));
  assert.equal(uploadIds.size, 1, 'one multipart upload took every part');
  const all = h.parts.find(id, 'allPartsStored')!;
  assert.equal(all.crc64nvme, crc64nvme(file));
  assert.equal(
    Buffer.from(all.contentSha256).toString('hex'),
    createHash('sha256').update(file).digest('hex'),
    'the whole-file SHA-256 went on from its checkpoint after each crash',
  );
  assert.ok((await completeAndDownload(h, upload)).equals(file), 'byte-identical after the crashes');
  await until('staged bytes released', async () => (await upload.segmentKeys()).length === 0);
  assert.equal((await h.staging.getUpload(id))!.stagedBytes, 0);
}

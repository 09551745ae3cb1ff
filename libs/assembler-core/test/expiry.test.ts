import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { CreateMultipartUploadCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { ExpirySweeper, Lease, outcomeEventId } from '../src/index.ts';
import {
  MiB,
  silent,
  stageUpload,
  testAssembler,
  testDrive,
  testRedis,
  uploadKeys,
  writeFile,
  type TestAssembler,
  type TestDrive,
  type TestRedis,
} from './support.ts';

const IDLE = 60_000;

function sweeper(
  r: TestRedis,
  d: TestDrive,
  a: TestAssembler,
  now: () => number,
  lease?: Lease,
): ExpirySweeper {
  return new ExpirySweeper({
    tenants: d.tenants,
    objects: d.objects,
    staging: r.staging,
    store: r.store,
    publisher: a.publisher,
    lease: lease ?? new Lease({ redis: r.redis, key: `${r.namespace}:lease`, ttlMs: 60_000 }),
    idleTimeoutMs: IDLE,
    logger: silent,
    metrics: a.metrics,
    now,
  });
}

async function multipartIds(d: TestDrive): Promise<string[]> {
  const out = await d.client.send(new ListMultipartUploadsCommand({ Bucket: d.bucket }));
  return (out.Uploads ?? []).map((u) => u.UploadId ?? '');
}

describe('ExpirySweeper', () => {
  it('expires idle uploads — multipart aborted, staged keys gone, UploadExpired — and leaves active ones', async (t) => {
    const r = await testRedis(t);
    const d = await testDrive(t);
    const start = Date.now();
    const a = testAssembler(r, d, { now: () => start + 5 });
    // Idle, with parts stored: the PartStored names its multipart upload.
    const withParts = await writeFile(d, { data: randomBytes(6 * MiB) });
    await stageUpload(r, d, { key: withParts.key, uploadId: withParts.uploadId, updatedAt: start });
    await a.handle(withParts.partStored[0]!);
    // Idle, with a multipart upload created and no PartStored yet (a crash in between).
    const bare = await stageUpload(r, d, { key: 'tenant-a/bare', updatedAt: start });
    const orphan = await d.client.send(
      new CreateMultipartUploadCommand({ Bucket: d.bucket, Key: 'tenant-a/bare' }),
    );
    // Active: ingest touched it recently.
    const active = await stageUpload(r, d, { key: 'tenant-a/active', updatedAt: start + 2 * IDLE });

    // The clock says the first two have been idle past the limit (real S3 times are older than it).
    const later = start + IDLE + 2 * IDLE;
    const result = await sweeper(r, d, a, () => later).sweep();
    assert.equal(result.leader, true);
    assert.deepEqual([...result.expired].sort(), [withParts.uploadId, bare.uploadId].sort());
    assert.equal(result.failed, 0);

    const byUpload = new Map(a.sink.events.map((e) => [e.uploadId, e]));
    const expired = byUpload.get(withParts.uploadId);
    assert.equal(expired?.eventId, outcomeEventId(withParts.uploadId, 'upload-expired'));
    assert.equal(expired?.event?.$case, 'uploadExpired');
    assert.deepEqual(
      expired.event.value.lastActivityAt,
      new Date(start + 5),
      'the last PartStored was the last activity',
    );
    assert.equal(byUpload.get(bare.uploadId)?.event?.$case, 'uploadExpired');
    assert.equal(byUpload.has(active.uploadId), false);

    const left = await multipartIds(d);
    assert.ok(!left.includes(withParts.multipartUploadId), 'the named multipart upload is aborted');
    assert.ok(!left.includes(orphan.UploadId!), 'the unnamed one on the destination key too');
    assert.deepEqual(await uploadKeys(r, withParts.uploadId), []);
    assert.deepEqual(await uploadKeys(r, bare.uploadId), []);
    assert.ok((await uploadKeys(r, active.uploadId)).length > 0);
  });

  it('sweeps only while it holds the lease, and never expires an upload being completed', async (t) => {
    const r = await testRedis(t);
    const d = await testDrive(t);
    const a = testAssembler(r, d);
    const start = Date.now();
    const completing = await stageUpload(r, d, { key: 'tenant-a/c', updatedAt: start });
    await r.store.claim(completing.uploadId, 'completing', start);
    const later = () => start + 10 * IDLE;

    const key = `${r.namespace}:lease`;
    const other = new Lease({ redis: r.redis, key, ttlMs: 60_000 });
    assert.equal(await other.acquire(), true);
    assert.equal((await sweeper(r, d, a, later).sweep()).leader, false);
    await other.release();

    const result = await sweeper(r, d, a, later).sweep();
    assert.equal(result.leader, true);
    assert.deepEqual(result.expired, []);
    assert.deepEqual(a.sink.events, []);
  });

  it('runs on its own timer and stops on close', async (t) => {
    const r = await testRedis(t);
    const d = await testDrive(t);
    const a = testAssembler(r, d);
    const idle = await stageUpload(r, d, { key: 'tenant-a/t', updatedAt: Date.now() - 2 * IDLE });
    const s = new ExpirySweeper({
      tenants: d.tenants,
      objects: d.objects,
      staging: r.staging,
      store: r.store,
      publisher: a.publisher,
      lease: new Lease({ redis: r.redis, key: `${r.namespace}:lease`, ttlMs: 60_000 }),
      idleTimeoutMs: IDLE,
      intervalMs: 20,
      logger: silent,
      metrics: a.metrics,
    });
    await s.start();
    for (let i = 0; i < 200 && a.sink.events.length === 0; i++)
      await new Promise((res) => setTimeout(res, 25));
    await s.close();
    assert.equal(a.sink.events[0]?.uploadId, idle.uploadId);
    assert.equal(await r.redis.exists(`${r.namespace}:lease`), 0, 'the lease is given up on close');
  });
});

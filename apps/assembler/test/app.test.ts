import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  CreateMultipartUploadCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
} from '@aws-sdk/client-s3';
import { crc64nvme } from '@sluice/checksums';
import { createMetricsRegistry } from '@sluice/http';
import { uniqueName } from '@sluice/testing';
import { buildApp } from '../src/app.ts';
import {
  MiB,
  collectUploads,
  partWriterCreated,
  sha256,
  silent,
  stageUpload,
  testBackbone,
  testDrive,
  testRedis,
  uploadKeys,
  waitFor,
  writeFile,
} from './support.ts';

describe('assembler app', () => {
  it('completes multipart and single-put uploads announced on intake.parts, once each', async (t) => {
    const backbone = await testBackbone(t);
    const r = await testRedis(t);
    const d = await testDrive(t);
    const registry = createMetricsRegistry('assembler');
    const app = buildApp({
      logger: silent,
      registry,
      backbone,
      redis: r.redis,
      namespace: r.namespace,
      tenants: d.tenants,
      objects: d.objects,
      settings: { groupId: uniqueName('asm'), expiryIntervalMs: 3_600_000 },
    });
    for (const c of app.components) await c.start();
    t.after(async () => {
      for (const c of [...app.components].reverse()) await c.close();
      await app.http.close();
    });
    const uploads = await collectUploads(t, backbone);

    const big = randomBytes(11 * MiB + 3);
    const multipart = await writeFile(d, { data: big, sha256: sha256(big) });
    const small = await writeFile(d, { data: randomBytes(4096) });
    for (const f of [multipart, small]) await stageUpload(r, d, { key: f.key, uploadId: f.uploadId });
    const parts = backbone.producer('intake.parts');
    for (const e of [...multipart.partStored, multipart.allPartsStored, small.allPartsStored])
      await parts.produce(e);
    // A repeated AllPartsStored (the part-writer re-emitting after a crash) announces nothing new.
    await parts.produce(multipart.allPartsStored);

    await waitFor('both uploads announced', () => uploads.length >= 2);
    const late = async () =>
      /event="allPartsStored"[^}]*\} 1$/m.test(
        await registry.getSingleMetricAsString('sluice_assembler_late_events_total'),
      );
    await waitFor('the repeated AllPartsStored handled', late);
    assert.equal(uploads.length, 2);
    for (const f of [multipart, small]) {
      const event = uploads.find((e) => e.uploadId === f.uploadId);
      assert.equal(event?.event?.$case, 'uploadCompleted', f.uploadId);
      assert.equal(event.nodeId, f.nodeId);
      assert.equal(event.event.value.size, BigInt(f.data.length));
      assert.equal(event.event.value.crc64nvme, crc64nvme(f.data));
      const out = await d.client.send(new GetObjectCommand({ Bucket: d.bucket, Key: f.key }));
      assert.deepEqual(Buffer.from(await out.Body!.transformToByteArray()), f.data);
      assert.deepEqual(await uploadKeys(r, f.uploadId), []);
    }

    assert.equal((await app.http.inject('/healthz')).statusCode, 200);
    assert.equal((await app.http.inject('/readyz')).statusCode, 200);
    const metrics = (await app.http.inject('/metrics')).body;
    assert.match(metrics, /^sluice_assembler_outcomes_total\{outcome="completed",app="assembler"\} 2$/m);
    assert.match(
      metrics,
      new RegExp(`^sluice_assembler_completed_bytes_total\\{app="assembler"\\} ${big.length + 4096}$`, 'm'),
    );
  });

  it('expires an upload idle past a short timeout: multipart aborted, staged keys gone, UploadExpired', async (t) => {
    const backbone = await testBackbone(t);
    const r = await testRedis(t);
    const d = await testDrive(t);
    const app = buildApp({
      logger: silent,
      registry: createMetricsRegistry('assembler'),
      backbone,
      redis: r.redis,
      namespace: r.namespace,
      tenants: d.tenants,
      objects: d.objects,
      settings: { groupId: uniqueName('asm'), idleTimeoutMs: 300, expiryIntervalMs: 100 },
    });
    const uploads = await collectUploads(t, backbone);
    const { uploadId, nodeId } = await stageUpload(r, d, { key: 'tenant-a/idle' });
    // The part-writer created the multipart upload and crashed before its first PartStored.
    const created = await d.client.send(
      new CreateMultipartUploadCommand({ Bucket: d.bucket, Key: 'tenant-a/idle' }),
    );
    await partWriterCreated(r, uploadId, { bucket: d.bucket, key: 'tenant-a/idle' }, created.UploadId!);
    for (const c of app.components) await c.start();
    t.after(async () => {
      for (const c of [...app.components].reverse()) await c.close();
    });

    await waitFor('UploadExpired', () => uploads.some((e) => e.uploadId === uploadId));
    const expired = uploads.find((e) => e.uploadId === uploadId);
    assert.equal(expired?.event?.$case, 'uploadExpired');
    assert.equal(expired.nodeId, nodeId);
    assert.match(expired.event.value.reason, /no activity for/);
    const open = await d.client.send(new ListMultipartUploadsCommand({ Bucket: d.bucket }));
    assert.deepEqual(open.Uploads ?? [], []);
    assert.deepEqual(await uploadKeys(r, uploadId), []);
  });
});

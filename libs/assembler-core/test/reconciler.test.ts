import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CreateMultipartUploadCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { Reconciler, staticPrefix } from '../src/index.ts';
import {
  partWriterCreated,
  silent,
  stageUpload,
  testDrive,
  testRedis,
  type TestDrive,
  type TestRedis,
} from './support.ts';

async function multipartKeys(d: TestDrive): Promise<string[]> {
  const out = await d.client.send(new ListMultipartUploadsCommand({ Bucket: d.bucket }));
  return (out.Uploads ?? []).map((u) => u.Key ?? '').sort();
}

function reconciler(r: TestRedis, d: TestDrive, graceMs: number): Reconciler {
  return new Reconciler({
    tenants: d.tenants,
    objects: d.objects,
    staging: r.staging,
    store: r.store,
    graceMs,
    logger: silent,
    // S3 reports Initiated in whole seconds: look from a little ahead so "now" is past it.
    now: () => Date.now() + 2000,
  });
}

describe('Reconciler', () => {
  it('aborts multipart uploads no upload owns, keeps the known and the recent, and changes nothing in a dry run', async (t) => {
    const r = await testRedis(t);
    const d = await testDrive(t);
    const prefix = `${d.drive.tenant}/${d.drive.name}/`;
    const create = (key: string) =>
      d.client.send(new CreateMultipartUploadCommand({ Bucket: d.bucket, Key: key }));
    const orphan = await create(`${prefix}orphan-node`);
    await stageUpload(r, d, { key: `${prefix}known-node` });
    await create(`${prefix}known-node`);
    // Known by the part-writer's record of its multipart upload, under a key ingest did not name.
    const pwKnown = await create(`${prefix}pw-node`);
    await partWriterCreated(r, 'pw-upload', { bucket: d.bucket, key: `${prefix}pw-node` }, pwKnown.UploadId!);
    await stageUpload(r, d, { key: `${prefix}elsewhere`, uploadId: 'pw-upload' });
    await create('outside/the/prefix');

    const dry = await reconciler(r, d, 0).run({ dryRun: true });
    const actions = Object.fromEntries(dry.entries.map((e) => [e.key, e.action]));
    assert.deepEqual(actions, {
      [`${prefix}orphan-node`]: 'would-abort',
      [`${prefix}known-node`]: 'kept-known',
      [`${prefix}pw-node`]: 'kept-known',
    });
    assert.equal(dry.knownUploads, 2);
    assert.equal((await multipartKeys(d)).length, 4, 'a dry run aborts nothing');

    const listed = await d.client.send(new ListMultipartUploadsCommand({ Bucket: d.bucket, Prefix: prefix }));
    const initiated = listed.Uploads?.find((u) => u.UploadId === orphan.UploadId)?.Initiated;
    // moto dates every multipart upload 2010-11-10: on such a store nothing looks recent.
    const datedRight = initiated !== undefined && Math.abs(Date.now() - initiated.getTime()) < 3_600_000;
    if (!datedRight) t.diagnostic(`the store dates a new multipart upload ${initiated?.toISOString()}`);
    const young = await reconciler(r, d, 3_600_000).run({ dryRun: false });
    assert.equal(
      young.entries.find((e) => e.uploadId === orphan.UploadId)?.action,
      datedRight ? 'kept-recent' : 'aborted',
    );

    const real = await reconciler(r, d, 0).run({ dryRun: false });
    assert.equal(
      real.entries.find((e) => e.uploadId === orphan.UploadId)?.action,
      datedRight ? 'aborted' : undefined,
    );
    assert.deepEqual(await multipartKeys(d), [
      'outside/the/prefix',
      `${prefix}known-node`,
      `${prefix}pw-node`,
    ]);
  });

  it('lists under the part of the key template every upload of a drive shares', () => {
    const drive = { tenant: 't', name: 'd' };
    assert.equal(staticPrefix({ ...drive, keyTemplate: '{tenant}/{drive}/{node_id}' }), 't/d/');
    assert.equal(staticPrefix({ ...drive, keyTemplate: 'in/{upload_id}/{filename}' }), 'in/');
    assert.equal(staticPrefix({ ...drive, keyTemplate: '{node_id}' }), '');
  });
});

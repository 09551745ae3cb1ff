import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { CreateMultipartUploadCommand, ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { serviceUrl } from '@sluice/testing';
import { stageUpload, tenantsFile, testDrive, testRedis, type TestDrive } from './support.ts';

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);

async function openKeys(d: TestDrive): Promise<string[]> {
  const out = await d.client.send(new ListMultipartUploadsCommand({ Bucket: d.bucket }));
  return (out.Uploads ?? []).map((u) => u.Key ?? '').sort();
}

describe('reconcile command', () => {
  it('prints what it would abort with --dry-run, then aborts the orphan and keeps the known upload', async (t) => {
    const r = await testRedis(t);
    const d = await testDrive(t);
    const prefix = `${d.drive.tenant}/${d.drive.name}/`;
    await d.client.send(new CreateMultipartUploadCommand({ Bucket: d.bucket, Key: `${prefix}orphan` }));
    await stageUpload(r, d, { key: `${prefix}known` });
    await d.client.send(new CreateMultipartUploadCommand({ Bucket: d.bucket, Key: `${prefix}known` }));
    const env = {
      ...process.env,
      ...d.tenantsEnv,
      SLUICE_TENANTS_FILE: await tenantsFile(t, d.tenantsJson),
      SLUICE_REDIS_URL: serviceUrl('redis'),
      SLUICE_REDIS_NAMESPACE: r.namespace,
      SLUICE_ASSEMBLER_ORPHAN_GRACE: '0s',
      SLUICE_LOG_LEVEL: 'warn',
    };

    const dry = await run(process.execPath, ['src/reconcile.ts', '--dry-run'], { cwd: appDir, env });
    assert.match(dry.stdout, new RegExp(`^would abort: s3://${d.bucket}/${prefix}orphan upload-id=`, 'm'));
    assert.match(
      dry.stdout,
      new RegExp(`^kept \\(its upload is in progress\\): s3://${d.bucket}/${prefix}known `, 'm'),
    );
    assert.match(dry.stdout, /^dry run: 2 multipart uploads found, 1 orphaned \(nothing changed\)/m);
    assert.deepEqual(await openKeys(d), [`${prefix}known`, `${prefix}orphan`]);

    const real = await run(process.execPath, ['src/reconcile.ts'], { cwd: appDir, env });
    assert.match(real.stdout, new RegExp(`^aborted: s3://${d.bucket}/${prefix}orphan `, 'm'));
    assert.deepEqual(await openKeys(d), [`${prefix}known`]);

    await assert.rejects(run(process.execPath, ['src/reconcile.ts', '--bogus'], { cwd: appDir, env }), {
      code: 2,
      stderr: /usage: .*--dry-run/,
    });
  });
});

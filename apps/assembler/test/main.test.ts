import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { serviceUrl } from '@sluice/testing';
import {
  MiB,
  collectUploads,
  stageUpload,
  tenantsFile,
  testBackbone,
  testDrive,
  testRedis,
  topicPrefixOf,
  uploadKeys,
  waitFor,
  writeFile,
  type WrittenFile,
} from './support.ts';

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Starts `src/main.ts` as its own process; killed after the test if still running. */
function startAssembler(t: TestContext, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['src/main.ts'], {
    cwd: appDir,
    env: { ...process.env, SLUICE_LOG_LEVEL: 'warn', SLUICE_ASSEMBLER_HTTP_PORT: '0', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  child.on('exit', (code) => {
    if (code === 2) process.stderr.write(`assembler exited with a configuration error:\n${stderr}\n`);
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

describe('assembler process', () => {
  it('killed right after CompleteMultipartUpload, then restarted: one UploadCompleted per upload by event id', async (t) => {
    const backbone = await testBackbone(t, 1);
    const r = await testRedis(t);
    const d = await testDrive(t);
    const uploads = await collectUploads(t, backbone);
    const files: WrittenFile[] = [];
    for (let i = 0; i < 2; i++) {
      const f = await writeFile(d, { data: randomBytes(6 * MiB + i) });
      await stageUpload(r, d, { key: f.key, uploadId: f.uploadId });
      files.push(f);
    }
    const parts = backbone.producer('intake.parts');
    for (const f of files) for (const e of [...f.partStored, f.allPartsStored]) await parts.produce(e);

    const env = {
      ...d.tenantsEnv,
      SLUICE_TENANTS_FILE: await tenantsFile(t, d.tenantsJson),
      SLUICE_TOPIC_PREFIX: topicPrefixOf(backbone),
      SLUICE_KAFKA_PARTITIONS: '1',
      SLUICE_REDIS_URL: serviceUrl('redis'),
      SLUICE_REDIS_NAMESPACE: r.namespace,
      SLUICE_ASSEMBLER_CONCURRENCY: '1',
    };
    const crashing = startAssembler(t, { ...env, SLUICE_ASSEMBLER_TEST_CRASH_POINT: 'after-complete' });
    const [, signal] = (await once(crashing, 'exit')) as [number | null, NodeJS.Signals | null];
    assert.equal(signal, 'SIGKILL', 'the process died at the crash point');
    const head = await d.client.send(new HeadObjectCommand({ Bucket: d.bucket, Key: files[0]!.key }));
    assert.equal(
      head.ContentLength,
      files[0]!.data.length,
      'the first object was completed before the crash',
    );

    const restarted = startAssembler(t, env);
    await waitFor('both uploads announced', () =>
      files.every((f) =>
        uploads.some((e) => e.uploadId === f.uploadId && e.event?.$case === 'uploadCompleted'),
      ),
    );
    restarted.kill('SIGTERM');
    const [code] = (await once(restarted, 'exit')) as [number | null];
    assert.equal(code, 0, 'a clean stop');

    const byId = new Map(uploads.map((e) => [e.eventId, e]));
    const completions = [...byId.values()].filter((e) => e.event?.$case === 'uploadCompleted');
    assert.deepEqual(completions.map((e) => e.uploadId).sort(), files.map((f) => f.uploadId).sort());
    for (const f of files) {
      const out = await d.client.send(new GetObjectCommand({ Bucket: d.bucket, Key: f.key }));
      assert.deepEqual(Buffer.from(await out.Body!.transformToByteArray()), f.data);
      assert.deepEqual(await uploadKeys(r, f.uploadId), []);
    }
  });
});

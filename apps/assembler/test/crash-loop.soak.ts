/**
 * Fault run (npm run soak): the assembler process is killed at random moments while it
 * completes a batch of uploads, and restarted each time. A consumer that dedupes by event id
 * must see exactly one UploadCompleted per upload, every copy of it identical, and every
 * object must be byte-identical to its source.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { once } from 'node:events';
import { dirname, join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { UploadEvent } from '@sluice/proto';
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
const UPLOADS = 24;
const KILLS = 6;

function start(t: TestContext, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['src/main.ts'], {
    cwd: appDir,
    env: { ...process.env, SLUICE_LOG_LEVEL: 'warn', SLUICE_ASSEMBLER_HTTP_PORT: '0', ...env },
    stdio: 'ignore',
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

describe('assembler under SIGKILL', () => {
  it(
    'announces every upload once, identically, however often it is killed',
    { timeout: 300_000 },
    async (t) => {
      const backbone = await testBackbone(t, 2);
      const r = await testRedis(t);
      const d = await testDrive(t);
      const uploads = await collectUploads(t, backbone);
      const files: WrittenFile[] = [];
      for (let i = 0; i < UPLOADS; i++) {
        const size = i % 3 === 0 ? randomInt(1, 100_000) : 5 * MiB + randomInt(1, 6 * MiB);
        const f = await writeFile(d, { data: randomBytes(size) });
        await stageUpload(r, d, { key: f.key, uploadId: f.uploadId });
        files.push(f);
      }
      const parts = backbone.producer('intake.parts');
      for (const f of files) for (const e of [...f.partStored, f.allPartsStored]) await parts.produce(e);
      const env = {
        ...d.tenantsEnv,
        SLUICE_TENANTS_FILE: await tenantsFile(t, d.tenantsJson),
        SLUICE_TOPIC_PREFIX: topicPrefixOf(backbone),
        SLUICE_KAFKA_PARTITIONS: '2',
        SLUICE_REDIS_URL: serviceUrl('redis'),
        SLUICE_REDIS_NAMESPACE: r.namespace,
        SLUICE_ASSEMBLER_CONCURRENCY: '1',
      };
      const announced = () =>
        new Set(uploads.filter((e) => e.event?.$case === 'uploadCompleted').map((e) => e.uploadId));

      // Outcomes stored so far: the process's own progress, seen before its events reach the collector.
      const settled = async () => (await r.redis.keys(`${r.namespace}:asm-outcome:*`)).length;
      let kills = 0;
      while (kills < KILLS && (await settled()) < UPLOADS) {
        const child = start(t, env);
        // Once it is at work (after a restart that waits out the dead member's session), kill it mid-flight.
        const before = await settled();
        await waitFor(
          'some progress',
          async () => (await settled()) > before || child.exitCode !== null,
          60_000,
        );
        await sleep(randomInt(0, 200));
        child.kill('SIGKILL');
        await once(child, 'exit');
        kills++;
      }
      t.diagnostic(
        `killed ${kills} times; ${await settled()} of ${UPLOADS} uploads had their outcome by then`,
      );
      const last = start(t, env);
      await waitFor('every upload announced', () => announced().size === UPLOADS, 120_000);
      last.kill('SIGTERM');
      await once(last, 'exit');

      const copies = new Map<string, Buffer[]>();
      for (const e of uploads) {
        const list = copies.get(e.eventId) ?? [];
        list.push(Buffer.from(UploadEvent.encode(e).finish()));
        copies.set(e.eventId, list);
      }
      for (const [id, list] of copies)
        for (const copy of list) assert.deepEqual(copy, list[0], `every copy of event ${id} is the same`);
      const completions = [...copies.keys()].map((id) => uploads.find((e) => e.eventId === id)!);
      assert.equal(completions.length, UPLOADS);
      assert.ok(completions.every((e) => e.event?.$case === 'uploadCompleted'));
      for (const f of files) {
        const out = await d.client.send(new GetObjectCommand({ Bucket: d.bucket, Key: f.key }));
        assert.deepEqual(Buffer.from(await out.Body!.transformToByteArray()), f.data);
        assert.deepEqual(await uploadKeys(r, f.uploadId), []);
      }
      t.diagnostic(`${uploads.length} events seen for ${UPLOADS} uploads`);
    },
  );
});

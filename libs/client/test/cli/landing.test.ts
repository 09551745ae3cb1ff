/**
 * The whole pipeline end to end: ingest-api, part-writer, assembler and projector as child
 * processes over the real services, and `sluice upload --wait` landing files in a bucket of
 * their own.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createBucket, createDatabase, requireServices, type TestDatabase } from '@sluice/testing';
import { startApp, startIngest, startProjector, suiteCleanup, type IngestServer } from '../ingest-server.ts';

const MiB = 1024 * 1024;
const BIN = fileURLToPath(new URL('../../bin/sluice.js', import.meta.url));
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

function sluice(args: readonly string[], env: Readonly<Record<string, string>>) {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.once('close', (code) => resolve({ code, stdout, stderr })),
  );
}

const lines = (out: string) =>
  out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('sluice upload --wait through the whole pipeline', { timeout: 300_000 }, () => {
  it('lands each file in the bucket, byte for byte, and reports it completed', async (t) => {
    await requireServices(['redis', 'kafka', 'apicurio', 's3', 'mysql']);
    const { bucket, client: s3 } = await createBucket(t);
    // The database goes after the apps that use it have stopped (after hooks run in order).
    const late = suiteCleanup();
    let db: TestDatabase;
    let h: IngestServer;
    try {
      db = await createDatabase(late.hooks);
      h = await startIngest(t, { SLUICE_MYSQL_URL: db.url }, { bucket });
      await startApp(t, 'part-writer', h);
      await startApp(t, 'assembler', h);
      await startProjector(t, h, db.url);
    } finally {
      t.after(() => late.run());
    }
    const dir = await mkdtemp(join(tmpdir(), 'sluice-soak-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const files = { 'multipart.bin': randomBytes(12 * MiB + 5), 'small.txt': randomBytes(100) };
    for (const [name, data] of Object.entries(files)) await writeFile(join(dir, name), data);

    const out = await sluice(
      [
        'upload',
        ...Object.keys(files).map((n) => join(dir, n)),
        '--drive',
        'docs',
        '--chunk-size',
        '4MiB',
        '--wait',
        '--json',
      ],
      h.cliEnv,
    );
    assert.equal(out.code, 0, out.stderr);
    const results = lines(out.stdout);
    assert.equal(results.length, 2);
    for (const r of results) {
      const data = files[(r.file as string).split('/').pop() as keyof typeof files];
      assert.equal(r.status, 'completed');
      assert.equal(r.bucket, bucket);
      assert.equal(r.sha256, sha(data));
      const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: r.key as string }));
      const body = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
      assert.ok(body.equals(data), `${r.key as string} holds the file`);
      const status = lines((await sluice(['status', r.upload_id as string, '--json'], h.cliEnv)).stdout)[0];
      assert.equal(status?.status, 'completed');
      assert.equal(status.bytes_stored, data.length);
    }
  });
});

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { UploadStatus } from '../../src/index.ts';
import { createDatabase, type TestDatabase } from '@sluice/testing';
import {
  KEYS,
  stagedBytes,
  startIngest,
  startProjector,
  suiteCleanup,
  type IngestServer,
} from '../ingest-server.ts';

const MiB = 1024 * 1024;
const BIN = fileURLToPath(new URL('../../bin/sluice.js', import.meta.url));
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

interface Outcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs the installed `sluice` bin as a user would: its own process, no TTY, and without the
 * workspace's NODE_OPTIONS, so the bin itself has to find the TypeScript sources.
 */
function start(
  args: readonly string[],
  env: Readonly<Record<string, string>>,
  input?: Buffer,
): { child: ChildProcess; done: Promise<Outcome> } {
  const { NODE_OPTIONS: _ignored, SLUICE_SERVER: _s, SLUICE_API_KEY: _k, ...inherited } = process.env;
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...inherited, ...env },
    stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  child.stdin?.end(input);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<Outcome>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
}

const sluice = (args: readonly string[], env: Readonly<Record<string, string>>): Promise<Outcome> =>
  start(args, env).done;

function jsonLines(out: string): Array<Record<string, unknown>> {
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function resumeRecords(env: Readonly<Record<string, string>>): Promise<string[]> {
  const dir = join(env.SLUICE_CACHE ?? '', 'uploads');
  return (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.json'));
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address ? address.port : 1));
    });
  });
}

describe('sluice CLI', { timeout: 120_000 }, () => {
  const cleanup = suiteCleanup();
  let h: IngestServer;
  let dir: string;
  before(async () => {
    h = await startIngest(cleanup.hooks, { SLUICE_INGEST_MAX_UNARY_CHUNK: '1MiB' });
    dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await cleanup.run();
  });

  it('uploads several files at once, each staged byte for byte and sealed with its SHA-256', async () => {
    const files = {
      'empty.bin': Buffer.alloc(0),
      'small.txt': randomBytes(1000),
      // Chunks of 2 MiB are above the server's 1 MiB unary limit: they are streamed.
      'big.bin': randomBytes(5 * MiB + 1),
      'odd.bin': randomBytes(3 * MiB + 7),
    };
    const paths = Object.keys(files).map((name) => join(dir, name));
    for (const [name, data] of Object.entries(files)) await writeFile(join(dir, name), data);

    const out = await sluice(
      ['upload', ...paths, '--drive', 'docs', '--chunk-size', '2MiB', '--json'],
      h.cliEnv,
    );
    assert.equal(out.code, 0, out.stderr);
    const results = jsonLines(out.stdout);
    assert.deepEqual(results.map((r) => r.file).sort(), [...paths].sort());
    for (const r of results) {
      const data = files[(r.file as string).split('/').pop() as keyof typeof files];
      assert.equal(r.status, 'sealed');
      assert.equal(r.size, data.length);
      assert.equal(r.sha256, sha(data));
      assert.equal(r.chunks, Math.ceil(data.length / (2 * MiB)));
      assert.equal(r.bucket, 'sluice');
      assert.match(
        r.key as string,
        new RegExp(`^acme/docs/${r.node_id as string}/${r.upload_id as string}$`),
      );
      const meta = await h.staging.getUpload(r.upload_id as string);
      assert.equal(meta?.status, 'sealed');
      assert.equal(meta.sha256, sha(data));
      assert.ok(
        (await stagedBytes(h.staging, r.upload_id as string)).equals(data),
        `${r.file as string} staged as is`,
      );
    }
    assert.deepEqual(await resumeRecords(h.cliEnv), [], 'nothing left to resume');

    const piped = randomBytes(3 * MiB + 3);
    const fromStdin = await start(['upload', '-', '--drive', 'docs', '--json'], h.cliEnv, piped).done;
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    const [stdinResult] = jsonLines(fromStdin.stdout);
    assert.equal(stdinResult?.size, piped.length);
    assert.equal(stdinResult.sha256, sha(piped));
    assert.ok((await stagedBytes(h.staging, stdinResult.upload_id as string)).equals(piped));

    const text = await sluice(['upload', paths[1] as string, '--drive', 'docs'], h.cliEnv);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /small\.txt: sealed upload [0-9a-f-]{36} → s3:\/\/sluice\/acme\/docs\/\S+ \(1000 B, sha256 [0-9a-f]{64}\)/,
    );
  });

  it('says clearly what is wrong, with its own exit status, for each of the usual mistakes', async () => {
    const file = join(dir, 'f.bin');
    await writeFile(file, randomBytes(10));
    const port = await freePort();
    const cases: Array<{ args: string[]; env?: Record<string, string>; code: number; says: RegExp }> = [
      {
        args: ['upload', file, '--drive', 'docs', '--server', `127.0.0.1:${port}`, '--connect-timeout', '1s'],
        code: 3,
        says: new RegExp(
          `cannot reach the Sluice server at 127\\.0\\.0\\.1:${port}.*\\n.*--server or SLUICE_SERVER`,
        ),
      },
      {
        args: ['upload', file, '--drive', 'docs', '--api-key', 'not-a-key'],
        code: 4,
        says: /API key is not known/,
      },
      {
        args: ['upload', file, '--drive', 'docs'],
        env: { SLUICE_API_KEY: '' },
        code: 4,
        says: /no API key: pass it with --api-key or set SLUICE_API_KEY/,
      },
      { args: ['upload', file, '--drive', 'nope'], code: 5, says: /no drive "nope"/ },
      {
        args: ['upload', file, '--drive', 'vault'],
        code: 5,
        says: /no drive "vault" in your tenant/,
      },
      {
        args: ['upload', file, join(dir, 'missing.bin'), '--drive', 'docs'],
        code: 5,
        says: /no file .*missing\.bin: check the path/,
      },
      { args: ['upload', file], code: 2, says: /upload needs --drive NAME/ },
      {
        args: ['upload', file, '--drive', 'docs', '--chunk-size', 'lots'],
        code: 2,
        says: /--chunk-size lots is not a size/,
      },
      { args: ['frobnicate'], code: 2, says: /unknown command "frobnicate"/ },
      { args: ['status', 'no-such-upload'], code: 5, says: /upload "no-such-upload" does not exist/ },
    ];
    const initiated = () =>
      h.metric('grpc_server_handled_total', { grpc_method: 'InitiateUpload', grpc_code: 'OK' });
    const before = await initiated();
    for (const c of cases) {
      const out = await sluice(c.args, { ...h.cliEnv, ...c.env });
      assert.equal(out.code, c.code, `${c.args.join(' ')}: ${out.stderr}`);
      assert.match(out.stderr, c.says, c.args.join(' '));
      assert.doesNotMatch(out.stderr, /\n\s+at /, 'no stack trace');
      assert.doesNotMatch(out.stderr, new RegExp(KEYS.acme), 'the API key is never printed');
    }
    // The missing file stopped everything before the first byte: f.bin was not uploaded either.
    assert.equal(await initiated(), before);
  });

  it('shows, follows and aborts an upload, and --wait ends with the final status', async () => {
    const file = join(dir, 'waited.bin');
    await writeFile(file, randomBytes(3 * MiB));
    const waiting = start(['upload', file, '--drive', 'docs', '--wait', '--json'], h.cliEnv);
    const record = await until('the resume record', async () => (await resumeRecords(h.cliEnv))[0]);
    const { uploadId } = JSON.parse(
      await readFile(join(h.cliEnv.SLUICE_CACHE ?? '', 'uploads', record), 'utf8'),
    ) as {
      uploadId: string;
    };
    await until('the seal', async () =>
      (await h.client.status(uploadId)).status === UploadStatus.UPLOAD_STATUS_SEALED ? true : undefined,
    );

    const status = await sluice(['status', uploadId, '--json'], h.cliEnv);
    assert.equal(status.code, 0, status.stderr);
    const [state] = jsonLines(status.stdout);
    assert.equal(state?.status, 'sealed');
    assert.equal(state.total_chunks, 1);
    assert.equal(state.bytes_staged, 3 * MiB);
    assert.match((await sluice(['status', uploadId], h.cliEnv)).stdout, /^status\s+sealed$/m);

    const watch = start(['watch', uploadId], h.cliEnv);
    const aborted = await sluice(['abort', uploadId, '--reason', 'test'], h.cliEnv);
    assert.equal(aborted.code, 0, aborted.stderr);
    assert.match(aborted.stdout, new RegExp(`upload ${uploadId} aborted`));

    const watched = await watch.done;
    assert.equal(watched.code, 6, watched.stderr);
    assert.match(watched.stdout, /aborted/);
    const waited = await waiting.done;
    assert.equal(waited.code, 6, waited.stderr);
    assert.match(waited.stderr, new RegExp(`upload ${uploadId} was aborted`));
    assert.equal(jsonLines(waited.stdout)[0]?.status, 'error');
    assert.deepEqual(await resumeRecords(h.cliEnv), [], 'an aborted upload is not resumed');
  });
});

describe('sluice ls', { timeout: 120_000 }, () => {
  it("lists the tenant's uploads from the projection, and says what is wrong while there is none", async (t) => {
    // The database is dropped after the apps using it have stopped (after hooks run in order).
    const late = suiteCleanup();
    let h: IngestServer;
    let db: TestDatabase;
    try {
      db = await createDatabase(late.hooks);
      h = await startIngest(t, { SLUICE_MYSQL_URL: db.url });
    } finally {
      t.after(() => late.run());
    }
    const early = await sluice(['ls'], h.cliEnv);
    assert.equal(early.code, 3, early.stderr);
    assert.match(early.stderr, /MySQL failed while .*check that the database is up and migrated/);

    await startProjector(t, h, db.url);
    const dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const paths = [join(dir, 'one.txt'), join(dir, 'two.txt')];
    for (const p of paths) await writeFile(p, randomBytes(100));
    const uploaded = await sluice(['upload', ...paths, '--drive', 'docs', '--json'], h.cliEnv);
    assert.equal(uploaded.code, 0, uploaded.stderr);
    const ids = jsonLines(uploaded.stdout).map((r) => r.upload_id as string);
    await until('the projection of both uploads', async () => {
      const { uploads } = await h.client.list({ status: UploadStatus.UPLOAD_STATUS_SEALED });
      return uploads.length === 2 ? true : undefined;
    });

    const listed = await sluice(['ls', '--json'], h.cliEnv);
    assert.equal(listed.code, 0, listed.stderr);
    const rows = jsonLines(listed.stdout);
    assert.deepEqual(rows.map((r) => r.upload_id).sort(), [...ids].sort());
    assert.deepEqual(
      rows.map((r) => r.status),
      ['sealed', 'sealed'],
    );
    assert.deepEqual(rows.map((r) => r.filename).sort(), ['one.txt', 'two.txt']);
    assert.equal(
      jsonLines((await sluice(['ls', '--status', 'completed', '--json'], h.cliEnv)).stdout).length,
      0,
    );
    assert.equal(jsonLines((await sluice(['ls', '--limit', '1', '--json'], h.cliEnv)).stdout).length, 1);
    const table = await sluice(['ls', '--status', 'sealed'], h.cliEnv);
    assert.match(table.stdout, /^UPLOAD\s+STATUS\s+SIZE\s+CREATED\s+FILE$/m);
    for (const id of ids)
      assert.match(table.stdout, new RegExp(`^${id}\\s+sealed\\s+100 B\\s+\\S+\\s+(one|two)\\.txt$`, 'm'));
    assert.equal((await sluice(['ls', '--status', 'sideways'], h.cliEnv)).code, 2);
  });
});

describe('sluice upload, interrupted', { timeout: 120_000 }, () => {
  const cleanup = suiteCleanup();
  let h: IngestServer;
  let dir: string;
  before(async () => {
    // A per-upload staging cap with nothing draining it stalls an upload mid-way.
    h = await startIngest(cleanup.hooks, {
      SLUICE_INGEST_MAX_STAGED_PER_UPLOAD: '4MiB',
      SLUICE_INGEST_RETRY_PUSHBACK: '100ms',
    });
    dir = await mkdtemp(join(tmpdir(), 'sluice-cli-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await cleanup.run();
  });

  /**
   * Starts an upload that stalls once the cap is reached: 4 chunks of 1 MiB (a few more only
   * when chunks in flight arrived out of order, and the one filling a gap was taken over the
   * cap). Resolves with its id once a chunk has been refused.
   */
  async function stalled(args: readonly string[]) {
    const run = start(args, h.cliEnv);
    const record = await until('the resume record', async () => (await resumeRecords(h.cliEnv))[0]);
    const { uploadId } = JSON.parse(
      await readFile(join(h.cliEnv.SLUICE_CACHE ?? '', 'uploads', record), 'utf8'),
    ) as { uploadId: string };
    await until('the cap to be reached', async () =>
      (await h.client.status(uploadId)).chunksStaged >= 4 ? true : undefined,
    );
    const refused = await h.metric('sluice_ingest_refused_total');
    await until('a refusal', async () =>
      (await h.metric('sluice_ingest_refused_total')) > refused ? true : undefined,
    );
    return { run, uploadId, record };
  }

  /**
   * Plays the part-writer for every upload with a resume record: staged bytes are "stored"
   * and released, so uploads go on. Stop it to get back to stalling.
   */
  function drain(): { stop: () => Promise<void> } {
    let running = true;
    const released = new Set<string>();
    const loop = (async () => {
      while (running) {
        for (const record of await resumeRecords(h.cliEnv)) {
          const { uploadId } = JSON.parse(
            await readFile(join(h.cliEnv.SLUICE_CACHE ?? '', 'uploads', record), 'utf8').catch(() => '{}'),
          ) as { uploadId?: string };
          if (!uploadId) continue;
          for (const c of await h.staging.listChunks(uploadId)) {
            if (released.has(`${uploadId}/${c.chunk}`)) continue;
            released.add(`${uploadId}/${c.chunk}`);
            await h.staging.releaseChunk(uploadId, c.chunk, c.size);
          }
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    return {
      stop: async () => {
        running = false;
        await loop;
      },
    };
  }

  it('resumes after a SIGKILL: the second run sends only the chunks the first did not stage, then seals', async () => {
    const file = join(dir, 'ten.bin');
    const data = randomBytes(10 * MiB + 123);
    await writeFile(file, data);
    const args = ['upload', file, '--drive', 'docs', '--chunk-size', '1MiB', '--concurrency', '3', '--json'];

    const first = await stalled(args);
    first.run.child.kill('SIGKILL');
    const killed = await first.run.done;
    assert.equal(killed.signal, 'SIGKILL');
    assert.equal(killed.stdout, '', 'the first run printed no result');
    const uploadId = first.uploadId;
    const staged = (await h.client.status(uploadId)).stagedChunks.length;
    assert.ok(staged >= 4 && staged <= 6, `${staged} chunks staged: the cap and the 3 in flight`);
    assert.deepEqual(await resumeRecords(h.cliEnv), [first.record], 'the record survives the kill');

    // Now the "part-writer" stores what is staged, and the second run can go on.
    const duplicates = await h.metric('sluice_ingest_chunks_total', { outcome: 'duplicate' });
    const draining = drain();
    const second = await sluice(args, h.cliEnv).finally(() => draining.stop());
    assert.equal(second.code, 0, second.stderr);
    const [result] = jsonLines(second.stdout);
    assert.equal(result?.upload_id, uploadId, 'the same upload');
    assert.equal(result.status, 'sealed');
    assert.equal(result.chunks, 11);
    assert.equal(result.chunks_resumed, staged);
    assert.equal(result.chunks_sent, 11 - staged, 'only the missing chunks were sent');
    assert.equal(result.sha256, sha(data));
    assert.equal(await h.metric('sluice_ingest_chunks_total', { outcome: 'duplicate' }), duplicates);
    assert.ok((await stagedBytes(h.staging, uploadId)).equals(data));
    assert.equal((await h.staging.getUpload(uploadId))?.sha256, sha(data));
    assert.deepEqual(await resumeRecords(h.cliEnv), []);
  });

  it('stops on Ctrl-C with status 130, keeping what it needs to resume', async () => {
    const file = join(dir, 'six.bin');
    await writeFile(file, randomBytes(6 * MiB));
    // One chunk at a time, in order: no chunk fills a gap, so the fifth is refused whatever
    // the timing (the cap is exact).
    const { run, uploadId, record } = await stalled([
      'upload',
      file,
      '--drive',
      'docs',
      '--chunk-size',
      '1MiB',
      '--concurrency',
      '1',
    ]);
    run.child.kill('SIGINT');
    const out = await run.done;
    assert.equal(out.code, 130, out.stderr);
    assert.match(
      out.stderr,
      /six\.bin: .*interrupted \(SIGINT\)\n\s+\(run the same command again to resume\)/,
    );
    assert.match(
      out.stdout,
      new RegExp(
        `six\\.bin: uploading as upload ${uploadId}\\n.*server is full for now \\(UPLOAD_STAGING_CAP\\); waiting and retrying`,
      ),
    );
    assert.deepEqual(await resumeRecords(h.cliEnv), [record]);
    assert.equal((await sluice(['abort', uploadId], h.cliEnv)).code, 0);
    // The next run finds the upload aborted, says so, and starts a new one.
    const draining = drain();
    const again = await sluice(['upload', file, '--drive', 'docs', '--json'], h.cliEnv).finally(() =>
      draining.stop(),
    );
    assert.equal(again.code, 0, again.stderr);
    const [result] = jsonLines(again.stdout);
    assert.ok(result);
    assert.notEqual(result.upload_id, uploadId);
    assert.equal(result.chunks_resumed, 0);
    assert.match(
      again.stderr,
      new RegExp(`cannot resume upload ${uploadId} \\(upload ${uploadId} was aborted`),
    );
    assert.deepEqual(await resumeRecords(h.cliEnv), []);
  });
});

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { crc32c, crc32cToBase64 } from '@sluice/checksums';
import type { SluiceError } from '@sluice/errors';
import { SluiceClient, upload, UploadStatus, type RetryNotice, type UploadProgress } from '../src/index.ts';
import { KEYS, stagedBytes, startIngest, suiteCleanup, type IngestServer } from './ingest-server.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Pieces of random sizes, as a network stream delivers them. */
function* pieces(data: Buffer): Generator<Buffer> {
  for (let at = 0; at < data.length;) {
    const n = 1 + Math.floor(Math.random() * 300 * KiB);
    yield data.subarray(at, at + n);
    at += n;
  }
}

async function assertSealedWith(
  h: IngestServer,
  uploadId: string,
  data: Buffer,
  chunks: number,
  wholeFileSha256 = false,
): Promise<void> {
  const meta = await h.staging.getUpload(uploadId);
  assert.equal(meta?.status, 'sealed');
  assert.equal(meta.totalChunks, chunks);
  assert.equal(
    meta.sha256,
    wholeFileSha256 ? sha(data) : '',
    'sealed with the whole-file SHA-256 when asked',
  );
  assert.ok((await stagedBytes(h.staging, uploadId)).equals(data), 'staged bytes are the source bytes');
}

describe('upload', { timeout: 120_000 }, () => {
  const cleanup = suiteCleanup();
  let h: IngestServer;
  let dir: string;
  before(async () => {
    // A small unary limit, so chunks above it must take UploadChunkStream.
    h = await startIngest(cleanup.hooks, { SLUICE_INGEST_MAX_UNARY_CHUNK: '2MiB' });
    dir = await mkdtemp(join(tmpdir(), 'sluice-upload-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
    await cleanup.run();
  });

  it('stages a file, a buffer, a stream and an empty source byte for byte, sealed with their SHA-256 when asked', async () => {
    const file = randomBytes(7 * MiB + 5);
    const path = join(dir, 'seven.bin');
    await writeFile(path, file);
    const buffer = randomBytes(MiB + 3);
    const stream = randomBytes(3 * MiB + 17);
    const cases = [
      // 3 MiB chunks are above the 2 MiB unary limit even though unary is asked for.
      {
        source: path as string | Buffer | Readable,
        data: file,
        chunkSize: 3 * MiB,
        streamAboveBytes: 64 * MiB,
        chunks: 3,
        wholeFileSha256: true,
      },
      {
        source: buffer,
        data: buffer,
        chunkSize: 256 * KiB,
        streamAboveBytes: undefined,
        chunks: 5,
        wholeFileSha256: false,
      },
      {
        source: Readable.from(pieces(stream)),
        data: stream,
        chunkSize: MiB,
        streamAboveBytes: undefined,
        chunks: 4,
        wholeFileSha256: true,
      },
      {
        source: Buffer.alloc(0),
        data: Buffer.alloc(0),
        chunkSize: MiB,
        streamAboveBytes: undefined,
        chunks: 0,
        wholeFileSha256: false,
      },
    ];
    for (const c of cases) {
      const seen: UploadProgress[] = [];
      const result = await upload(h.client, c.source, {
        drive: 'docs',
        chunkSize: c.chunkSize,
        concurrency: 3,
        ...(c.streamAboveBytes === undefined ? {} : { streamAboveBytes: c.streamAboveBytes }),
        ...(c.wholeFileSha256 ? { wholeFileSha256: true } : {}),
        onProgress: (p) => seen.push(p),
      });
      assert.equal(result.status, UploadStatus.UPLOAD_STATUS_SEALED);
      assert.equal(result.size, c.data.length);
      assert.equal(result.sha256, c.wholeFileSha256 ? sha(c.data) : '');
      assert.equal(result.totalChunks, c.chunks);
      assert.equal(result.chunksSent, c.chunks);
      assert.equal(result.chunksResumed, 0);
      await assertSealedWith(h, result.uploadId, c.data, c.chunks, c.wholeFileSha256);
      const last = seen.at(-1);
      assert.equal(last?.phase, 'done');
      assert.equal(last.bytesAcknowledged, c.data.length);
      assert.equal(last.bytesSent, c.data.length);
      assert.equal(last.totalBytes, c.data.length);
    }
    assert.equal(
      (await h.staging.getUpload((await upload(h.client, path, { drive: 'docs' })).uploadId))?.filename,
      'seven.bin',
    );
  });

  it('sends chunks the server takes whole as one message on the chunk channel, streamed through grpc-js', async () => {
    const handled = (method: string) => h.metric('grpc_server_handled_total', { grpc_method: method });
    const data = randomBytes(3 * (MiB + MiB / 2));
    const viaGrpcJs = new SluiceClient({ server: h.server, apiKey: KEYS.acme, chunkTransport: 'grpc-js' });
    try {
      for (const [client, unary, streamed] of [
        [h.client, 3, 0],
        [viaGrpcJs, 0, 3],
      ] as const) {
        assert.equal(client.chunkTransport, client === h.client ? 'http2' : 'grpc-js');
        const before = [await handled('UploadChunk'), await handled('UploadChunkStream')];
        const result = await upload(client, data, { drive: 'docs', chunkSize: MiB + MiB / 2 });
        await assertSealedWith(h, result.uploadId, data, 3);
        assert.deepEqual(
          [
            (await handled('UploadChunk')) - (before[0] ?? 0),
            (await handled('UploadChunkStream')) - (before[1] ?? 0),
          ],
          [unary, streamed],
          '1.5 MiB chunks, under the 2 MiB unary limit',
        );
      }
    } finally {
      viaGrpcJs.close();
    }
  });

  it('sends every chunk with its CRC32C, on either transport, and its SHA-256 when asked', async (t) => {
    const data = randomBytes(4 * MiB + 3);
    const viaGrpcJs = new SluiceClient({ server: h.server, apiKey: KEYS.acme, chunkTransport: 'grpc-js' });
    t.after(() => viaGrpcJs.close());
    for (const [client, chunkChecksums] of [
      [h.client, false],
      [viaGrpcJs, true],
    ] as const) {
      const sent = t.mock.method(client, 'uploadChunk');
      // The 3 MiB chunk goes streamed (above the 2 MiB unary limit), the last one unary.
      const result = await upload(client, data, { drive: 'docs', chunkSize: 3 * MiB, chunkChecksums });
      await assertSealedWith(h, result.uploadId, data, 2);
      const calls = sent.mock.calls.map((c) => ({ n: c.arguments[1], options: c.arguments[3] }));
      assert.equal(calls.length, 2);
      for (const { n, options } of calls) {
        const chunk = data.subarray(n * 3 * MiB, (n + 1) * 3 * MiB);
        assert.equal(options.crc32c, crc32cToBase64(crc32c(chunk)), `chunk ${n}`);
        assert.equal(options.sha256, chunkChecksums ? sha(chunk) : '', `chunk ${n}`);
      }
      sent.mock.restore();
    }
  });

  it('stops on its AbortSignal, then resumes sending only the chunks the upload lacks', async () => {
    const data = randomBytes(12 * MiB + 1);
    const path = join(dir, 'twelve.bin');
    await writeFile(path, data);
    const stop = new AbortController();
    let uploadId = '';
    const first = upload(h.client, path, {
      drive: 'docs',
      chunkSize: MiB,
      concurrency: 2,
      signal: stop.signal,
      onStarted: (u) => void (uploadId = u.uploadId),
      onProgress: (p) => {
        if (p.chunksAcknowledged >= 4) stop.abort();
      },
    });
    await assert.rejects(first, (err: SluiceError) => err.code === 'CANCELLED');
    const staged = (await h.client.status(uploadId)).stagedChunks.length;
    assert.ok(staged >= 4 && staged < 13, `${staged} chunks staged before the stop`);
    const duplicatesBefore = await h.metric('sluice_ingest_chunks_total', { outcome: 'duplicate' });

    // The whole-file SHA-256 covers the chunks an earlier run sent too: the source is read whole.
    const second = await upload(h.client, path, {
      drive: 'docs',
      chunkSize: MiB,
      resumeUploadId: uploadId,
      wholeFileSha256: true,
    });
    assert.equal(second.uploadId, uploadId);
    assert.equal(second.resumed, true);
    assert.equal(second.chunksResumed, staged);
    assert.equal(second.chunksSent, 13 - staged);
    assert.equal(
      await h.metric('sluice_ingest_chunks_total', { outcome: 'duplicate' }),
      duplicatesBefore,
      'nothing sent twice',
    );
    await assertSealedWith(h, uploadId, data, 13, true);

    // Resuming what is sealed sends nothing and seals nothing again.
    const third = await upload(h.client, path, {
      drive: 'docs',
      chunkSize: MiB,
      resumeUploadId: uploadId,
      wholeFileSha256: true,
    });
    assert.equal(third.chunksSent, 0);
    assert.equal(third.sha256, sha(data));
    assert.equal(third.status, UploadStatus.UPLOAD_STATUS_SEALED);
  });

  it('refuses to resume an upload cut at another chunk size, or restarts when told to', async () => {
    const data = randomBytes(3 * MiB);
    const stop = new AbortController();
    let uploadId = '';
    await assert.rejects(
      upload(h.client, data, {
        drive: 'docs',
        chunkSize: MiB,
        concurrency: 1,
        signal: stop.signal,
        onStarted: (u) => void (uploadId = u.uploadId),
        onProgress: (p) => {
          if (p.chunksAcknowledged >= 1) stop.abort();
        },
      }),
    );
    await assert.rejects(
      upload(h.client, data, { drive: 'docs', chunkSize: 512 * KiB, resumeUploadId: uploadId }),
      {
        code: 'SOURCE_CHANGED',
      },
    );
    const refusals: SluiceError[] = [];
    const fresh = await upload(h.client, data, {
      drive: 'docs',
      chunkSize: 512 * KiB,
      resumeUploadId: uploadId,
      unresumable: 'restart',
      onResumeRefused: (e) => refusals.push(e),
    });
    assert.notEqual(fresh.uploadId, uploadId);
    assert.equal(fresh.resumed, false);
    assert.deepEqual(
      refusals.map((e) => e.code),
      ['SOURCE_CHANGED'],
    );
    await assertSealedWith(h, fresh.uploadId, data, 6);
  });

  it('reports a missing file before contacting anyone', async () => {
    await assert.rejects(upload(h.client, join(dir, 'nope.bin'), { drive: 'docs' }), {
      code: 'FILE_NOT_FOUND',
      message: /no file .*nope\.bin: check the path/,
    });
    await assert.rejects(upload(h.client, dir, { drive: 'docs' }), {
      code: 'SOURCE_UNREADABLE',
      message: /directory/,
    });
  });
});

describe('upload under back-pressure', { timeout: 120_000 }, () => {
  it('waits out RESOURCE_EXHAUSTED for at least the pushback, and finishes once staged bytes are stored', async (t) => {
    const h = await startIngest(t, {
      SLUICE_INGEST_MAX_STAGED_PER_UPLOAD: '2MiB',
      SLUICE_INGEST_RETRY_PUSHBACK: '150ms',
    });
    const data = randomBytes(6 * MiB + 100);
    const notices: RetryNotice[] = [];
    let uploadId = '';
    // Plays the part-writer once the cap is hit: staged bytes are "stored" and released.
    let draining: Promise<void> | undefined;
    let done = false;
    const drain = async () => {
      const released = new Set<number>();
      while (!done) {
        for (const c of await h.staging.listChunks(uploadId)) {
          if (released.has(c.chunk)) continue;
          released.add(c.chunk);
          await h.staging.releaseChunk(uploadId, c.chunk, c.size);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const result = await upload(h.client, data, {
      drive: 'docs',
      chunkSize: 512 * KiB,
      concurrency: 4,
      onStarted: (u) => void (uploadId = u.uploadId),
      onRetry: (n) => {
        notices.push(n);
        draining ??= drain();
      },
    }).finally(() => {
      done = true;
    });
    await draining;
    const pushed = notices.filter((n) => n.backPressure);
    assert.ok(pushed.length > 0, 'the server pushed back');
    for (const n of pushed) {
      assert.equal(n.error.code, 'UPLOAD_STAGING_CAP');
      assert.ok(n.delayMs >= 150, `waited ${n.delayMs} ms, at least the 150 ms pushback`);
    }
    assert.ok(
      (await h.metric('sluice_ingest_refused_total', { code: 'UPLOAD_STAGING_CAP' })) >= pushed.length,
    );
    assert.equal(result.chunksSent, 13);
    await assertSealedWith(h, result.uploadId, data, 13);

    // A chunk larger than the cap would be refused for ever: refused at once, upload aborted.
    await assert.rejects(upload(h.client, randomBytes(3 * MiB), { drive: 'docs', chunkSize: 3 * MiB }), {
      code: 'INVALID_ARGUMENT',
      message: /larger than the 2097152 bytes one upload may have staged .* at most 2097152 bytes/,
    });
    assert.equal(
      await h.metric('grpc_server_handled_total', { grpc_method: 'AbortUpload', grpc_code: 'OK' }),
      1,
    );
  });
});

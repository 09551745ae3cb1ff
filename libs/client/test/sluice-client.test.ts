import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { SluiceClient, UploadStatus } from '../src/index.ts';
import { KEYS, startIngest, suiteCleanup, type IngestServer } from './ingest-server.ts';

const MiB = 1024 * 1024;

describe('SluiceClient', { timeout: 120_000 }, () => {
  const cleanup = suiteCleanup();
  let h: IngestServer;
  before(async () => (h = await startIngest(cleanup.hooks)));
  after(() => cleanup.run());

  it('returns the same upload to a retried InitiateUpload', async () => {
    const clientRequestId = randomUUID();
    const a = await h.client.initiate({ drive: 'docs', filename: 'x', clientRequestId });
    const b = await h.client.initiate({ drive: 'docs', filename: 'x', clientRequestId });
    assert.equal(b.uploadId, a.uploadId);
    assert.equal(a.key, `acme/docs/${a.nodeId}/${a.uploadId}`);
    assert.equal(a.limits?.maxUnaryChunkBytes, BigInt(16 * MiB));
  });

  it('acknowledges the same bytes again as a duplicate, unary or streamed, and refuses other bytes', async () => {
    const { uploadId } = await h.client.initiate({ drive: 'docs' });
    const small = randomBytes(1000);
    const big = randomBytes(3 * MiB + 1);
    for (const stream of [false, true]) {
      const sent: number[] = [];
      const first = await h.client.uploadChunk(uploadId, stream ? 1 : 0, stream ? big : small, {
        stream,
        onSent: (n) => sent.push(n),
      });
      assert.equal(first.duplicate, false);
      assert.equal(
        sent.reduce((a, b) => a + b, 0),
        stream ? big.length : small.length,
      );
      if (stream) assert.equal(sent.length, 4, 'three 1 MiB frames and the rest');
      const again = await h.client.uploadChunk(uploadId, stream ? 1 : 0, stream ? big : small, { stream });
      assert.equal(again.duplicate, true);
      assert.equal(again.sha256, first.sha256);
    }
    await assert.rejects(h.client.uploadChunk(uploadId, 0, randomBytes(1000), { stream: false }), {
      code: 'CHUNK_CONFLICT',
    });
    const state = await h.client.status(uploadId);
    assert.deepEqual(state.stagedChunks.sort(), [0, 1]);
    assert.equal(state.status, UploadStatus.UPLOAD_STATUS_UPLOADING);
    await assert.rejects(h.client.complete(uploadId, 3, ''), {
      code: 'UPLOAD_INCOMPLETE',
      message: /missing 2/,
    });
    assert.equal(await h.client.complete(uploadId, 2, ''), UploadStatus.UPLOAD_STATUS_SEALED);
  });

  it('sends unary chunks alike on either transport', async () => {
    const { uploadId } = await h.client.initiate({ drive: 'docs' });
    const viaGrpcJs = new SluiceClient({ server: h.server, apiKey: KEYS.acme, chunkTransport: 'grpc-js' });
    try {
      const data = randomBytes(2 * MiB + 5);
      const a = await h.client.uploadChunk(uploadId, 0, data, { stream: false });
      const b = await viaGrpcJs.uploadChunk(uploadId, 0, data, { stream: false });
      assert.deepEqual({ ...b, duplicate: false }, a);
      assert.equal(b.duplicate, true, 'the same bytes, whichever way they came');
      const c = await viaGrpcJs.uploadChunk(uploadId, 1, randomBytes(1000), { stream: false });
      assert.equal(c.duplicate, false);
      await assert.rejects(h.client.uploadChunk(uploadId, 1, randomBytes(1000), { stream: false }), {
        code: 'CHUNK_CONFLICT',
      });
    } finally {
      viaGrpcJs.close();
    }
  });

  it('stops a call when its signal fires', async () => {
    const { uploadId } = await h.client.initiate({ drive: 'docs' });
    const stop = new AbortController();
    const pending = h.client.uploadChunk(uploadId, 0, randomBytes(8 * MiB), {
      stream: true,
      signal: stop.signal,
    });
    stop.abort();
    await assert.rejects(pending, { code: 'CANCELLED' });
  });

  it('turns refusals into catalogue errors: unknown key, unknown drive, nothing listening', async () => {
    const stranger = new SluiceClient({ server: h.server, apiKey: 'not-a-key' });
    await assert.rejects(stranger.initiate({ drive: 'docs' }), {
      code: 'UNAUTHENTICATED',
      message: /API key is not known/,
    });
    stranger.close();
    await assert.rejects(h.client.initiate({ drive: 'nope' }), { code: 'DRIVE_NOT_FOUND' });
    const globex = new SluiceClient({ server: h.server, apiKey: KEYS.globex });
    // Another tenant's drive is answered as one that does not exist: names reveal nothing.
    await assert.rejects(globex.initiate({ drive: 'docs' }), { code: 'DRIVE_NOT_FOUND' });
    globex.close();

    const nowhere = new SluiceClient({ server: '127.0.0.1:1', apiKey: KEYS.acme, connectTimeoutMs: 300 });
    await assert.rejects(nowhere.connect(), {
      code: 'SERVER_UNAVAILABLE',
      message: /cannot reach the Sluice server at 127\.0\.0\.1:1 within 0\.3 s/,
    });
    await assert.rejects(nowhere.status('u'), (err: { code: string; retriable: boolean }) => {
      return err.code === 'SERVER_UNAVAILABLE' && err.retriable;
    });
    nowhere.close();
  });
});

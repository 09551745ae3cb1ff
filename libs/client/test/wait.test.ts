import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { Server, ServerCredentials, type ServerWritableStream } from '@grpc/grpc-js';
import {
  IntakeServiceService,
  type UploadState,
  type WatchUploadRequest,
  type WatchUploadResponse,
} from '@sluice/proto';
import {
  finalStateError,
  parseStatus,
  statusName,
  SluiceClient,
  upload,
  UploadStatus,
  waitForUpload,
} from '../src/index.ts';
import { startIngest, suiteCleanup, type IngestServer } from './ingest-server.ts';

const state = (status: UploadStatus, errorMessage = '', errorCode = ''): UploadState => ({
  uploadId: 'u1',
  nodeId: 'n1',
  drive: 'docs',
  status,
  filename: '',
  chunksStaged: 0,
  bytesStaged: 0n,
  partsStored: 0,
  bytesStored: 0n,
  totalChunks: 0,
  stagedChunks: [],
  bucket: 'b',
  key: 'k',
  errorCode,
  errorMessage,
});

describe('statuses', () => {
  it('have names both ways', () => {
    assert.equal(statusName(UploadStatus.UPLOAD_STATUS_COMPLETED), 'completed');
    assert.equal(parseStatus('Completed'), UploadStatus.UPLOAD_STATUS_COMPLETED);
    assert.equal(parseStatus('UPLOAD_STATUS_EXPIRED'), UploadStatus.UPLOAD_STATUS_EXPIRED);
    assert.equal(parseStatus('unknown'), undefined);
    assert.equal(parseStatus('sideways'), undefined);
  });

  it('map a final state other than COMPLETED to its error', () => {
    assert.equal(finalStateError(state(UploadStatus.UPLOAD_STATUS_COMPLETED)), undefined);
    assert.equal(finalStateError(state(UploadStatus.UPLOAD_STATUS_SEALED)), undefined);
    const failed = finalStateError(
      state(UploadStatus.UPLOAD_STATUS_FAILED, 'the store refused', 'STORAGE_REJECTED'),
    );
    assert.equal(failed?.code, 'UPLOAD_FAILED');
    assert.match(failed.message, /upload u1 failed: the store refused \[STORAGE_REJECTED\]/);
    assert.equal(finalStateError(state(UploadStatus.UPLOAD_STATUS_ABORTED))?.code, 'UPLOAD_ABORTED');
    assert.equal(finalStateError(state(UploadStatus.UPLOAD_STATUS_EXPIRED))?.code, 'UPLOAD_EXPIRED');
  });
});

describe('waitForUpload', { timeout: 120_000 }, () => {
  const cleanup = suiteCleanup();
  let h: IngestServer;
  before(async () => (h = await startIngest(cleanup.hooks)));
  after(() => cleanup.run());

  it('follows an upload to its final status', async () => {
    const { uploadId } = await h.client.initiate({ drive: 'docs' });
    const seen: UploadStatus[] = [];
    const waiting = waitForUpload(h.client, uploadId, { onState: (s) => seen.push(s.status) });
    await h.client.abort(uploadId, 'changed my mind');
    const final = await waiting;
    assert.equal(final.status, UploadStatus.UPLOAD_STATUS_ABORTED);
    assert.equal(seen.at(-1), UploadStatus.UPLOAD_STATUS_ABORTED);
  });

  it('makes an upload that waits reject when the upload ends other than completed', async () => {
    let uploadId = '';
    let aborting: Promise<unknown> | undefined;
    const pending = upload(h.client, randomBytes(1000), {
      drive: 'docs',
      wait: true,
      onProgress: (p) => {
        if (p.phase === 'waiting') aborting ??= h.client.abort(uploadId, 'test');
      },
      onStarted: (u) => void (uploadId = u.uploadId),
    });
    await assert.rejects(pending, { code: 'UPLOAD_ABORTED' });
    await aborting;
  });
});

describe('waitForUpload on a stream that goes quiet', () => {
  it('gives up a watch silent past its idle timeout, watches again, and reports each state once', async (t) => {
    // A server whose first watch sends one state and then nothing; the second repeats that
    // state (a heartbeat) and then sends the final one.
    let watches = 0;
    const server = new Server();
    server.addService(IntakeServiceService, {
      watchUpload: (call: ServerWritableStream<WatchUploadRequest, WatchUploadResponse>) => {
        watches += 1;
        call.write({ upload: state(UploadStatus.UPLOAD_STATUS_UPLOADING), final: false });
        if (watches === 1) return;
        call.write({ upload: state(UploadStatus.UPLOAD_STATUS_UPLOADING), final: false });
        call.write({ upload: state(UploadStatus.UPLOAD_STATUS_COMPLETED), final: true });
        call.end();
      },
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    t.after(() => server.forceShutdown());
    const client = new SluiceClient({ server: `127.0.0.1:${port}`, apiKey: 'key', watchIdleTimeoutMs: 300 });
    t.after(() => client.close());
    const seen: UploadStatus[] = [];
    const retries: string[] = [];
    const final = await waitForUpload(client, 'u1', {
      onState: (s) => seen.push(s.status),
      onRetry: (n) => retries.push(n.error.message),
      retry: { initialDelayMs: 10 },
    });
    assert.equal(final.status, UploadStatus.UPLOAD_STATUS_COMPLETED);
    assert.equal(watches, 2);
    assert.deepEqual(seen, [UploadStatus.UPLOAD_STATUS_UPLOADING, UploadStatus.UPLOAD_STATUS_COMPLETED]);
    assert.equal(retries.length, 1);
    assert.match(retries[0] ?? '', /sent nothing for 300 ms/);
  });
});

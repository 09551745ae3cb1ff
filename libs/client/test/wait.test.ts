import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { UploadState } from '@sluice/proto';
import {
  finalStateError,
  parseStatus,
  statusName,
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

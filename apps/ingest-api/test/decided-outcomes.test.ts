/**
 * Status after the assembler has dropped an upload's staging state and before the projector
 * has stored its outcome (a projector whose database is down): the assembler's announced
 * outcome answers, not NOT_FOUND. Against the real Redis, with the outcome written by the
 * assembler's own store.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, it } from 'node:test';
import { AssemblyStore, completedOutcome, failedOutcome } from '@sluice/assembler-core';
import { DataLossError } from '@sluice/errors';
import { PartEvent_AllPartsStored, UploadState, UploadStatus } from '@sluice/proto';
import { MemoryStaging, RedisStaging } from '@sluice/staging';
import { createRedisPrefix, requireServices } from '@sluice/testing';
import { assemblerOutcomes } from '../src/decided-outcomes.ts';
import { StatusReader, type ProjectedUploads } from '../src/status.ts';

before(() => requireServices(['redis']));

function setup(t: Parameters<typeof createRedisPrefix>[0], projected?: ProjectedUploads) {
  const { redis, prefix } = createRedisPrefix(t);
  const staging = new RedisStaging({ redis, ttlMs: 60_000, namespace: prefix });
  const store = new AssemblyStore({ staging, partWriter: { multipart: () => Promise.resolve(undefined) } });
  const reader = new StatusReader(new MemoryStaging(), projected, assemblerOutcomes(redis, staging.keys));
  return { store, reader };
}

const who = (uploadId: string) => ({ uploadId, nodeId: `node-${uploadId}`, tenant: 'acme', drive: 'docs' });

it('answers COMPLETED with the object from the announced outcome, and nothing before it is announced', async (t) => {
  const { store, reader } = setup(t);
  const uploadId = randomUUID();
  const facts = PartEvent_AllPartsStored.fromPartial({
    location: { bucket: 'b', key: `acme/docs/${uploadId}` },
    partCount: 1,
    totalSize: 10n,
    totalChunks: 1,
  });
  await store.settle(
    uploadId,
    completedOutcome(who(uploadId), facts, {
      etag: '"e"',
      versionId: '',
      completedAt: new Date(),
      sha256: Buffer.alloc(32, 1),
    }),
  );
  await assert.rejects(
    reader.read('acme', uploadId),
    { code: 'UPLOAD_NOT_FOUND' },
    'decided, not yet announced',
  );
  await store.markPublished(uploadId);
  const state = await reader.read('acme', uploadId);
  assert.equal(state.status, UploadStatus.UPLOAD_STATUS_COMPLETED);
  assert.equal(state.key, `acme/docs/${uploadId}`);
  assert.equal(state.drive, 'docs');
  await assert.rejects(
    reader.read('globex', uploadId),
    { code: 'UPLOAD_NOT_FOUND' },
    "another tenant's upload",
  );
});

it('answers FAILED with the reason, and wins over a projection that is behind', async (t) => {
  const uploadId = randomUUID();
  const behind: ProjectedUploads = {
    find: () =>
      Promise.resolve(
        UploadState.fromPartial({ uploadId, drive: 'docs', status: UploadStatus.UPLOAD_STATUS_SEALED }),
      ),
    list: () => Promise.reject(new Error('not used')),
  };
  const { store, reader } = setup(t, behind);
  await store.settle(
    uploadId,
    failedOutcome(
      who(uploadId),
      new DataLossError('STAGING_LOST', 'staged bytes are gone: upload the file again'),
      [],
      new Date(),
    ),
  );
  await store.markPublished(uploadId);
  const state = await reader.read('acme', uploadId);
  assert.equal(state.status, UploadStatus.UPLOAD_STATUS_FAILED);
  assert.equal(state.errorCode, 'STAGING_LOST');
  assert.match(state.errorMessage, /staged bytes are gone/);
});

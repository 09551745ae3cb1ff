/**
 * An upload the projection knows as open but staging no longer has (Redis restarted without
 * persistence) is answered STAGING_LOST, naming what was lost; a finished, unknown or other
 * tenant's upload stays NOT_FOUND, so nothing leaks across tenants.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { UploadStatus, type UploadState } from '@sluice/proto';
import { MemoryStaging } from '@sluice/staging';
import type { ProjectedUploads } from '../src/status.ts';
import { uploadOf } from '../src/uploads.ts';

function projection(
  rows: Map<string, { tenant: string; status: UploadStatus }>,
): Pick<ProjectedUploads, 'find'> {
  return {
    find: (tenant, uploadId) => {
      const row = rows.get(uploadId);
      return Promise.resolve(
        row && row.tenant === tenant ? ({ uploadId, status: row.status } as UploadState) : undefined,
      );
    },
  };
}

it('says STAGING_LOST for an open upload staging lost, NOT_FOUND for the rest', async () => {
  const staging = new MemoryStaging();
  const open = randomUUID();
  const done = randomUUID();
  const rows = new Map([
    [open, { tenant: 'acme', status: UploadStatus.UPLOAD_STATUS_UPLOADING }],
    [done, { tenant: 'acme', status: UploadStatus.UPLOAD_STATUS_COMPLETED }],
  ]);
  const projected = projection(rows);
  await assert.rejects(uploadOf(staging, 'acme', open, projected), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'STAGING_LOST');
    assert.match(e.message, /staged chunks and state are gone.*upload the file again/);
    return true;
  });
  await assert.rejects(uploadOf(staging, 'globex', open, projected), { code: 'UPLOAD_NOT_FOUND' });
  await assert.rejects(uploadOf(staging, 'acme', done, projected), { code: 'UPLOAD_NOT_FOUND' });
  await assert.rejects(uploadOf(staging, 'acme', randomUUID(), projected), { code: 'UPLOAD_NOT_FOUND' });
  await assert.rejects(uploadOf(staging, 'acme', open), { code: 'UPLOAD_NOT_FOUND' }, 'without a projection');
  const broken = { find: () => Promise.reject(new Error('database down')) };
  await assert.rejects(uploadOf(staging, 'acme', open, broken), { code: 'UPLOAD_NOT_FOUND' });
});

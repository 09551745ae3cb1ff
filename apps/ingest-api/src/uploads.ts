import { DataLossError, FailedPreconditionError, NotFoundError } from '@sluice/errors';
import { FINAL_STATUSES, type ChunkEvent } from '@sluice/proto';
import type { StagingStore, UploadMeta } from '@sluice/staging';
import type { ProjectedUploads } from './status.ts';

/** Where ingest's events go: resolves once the event is durable. */
export interface ChunkEvents {
  produce(event: ChunkEvent): Promise<unknown>;
}

/**
 * The caller's upload. Someone else's upload is reported exactly like a missing one,
 * so upload ids reveal nothing across tenants. One that the projection knows as still open
 * but that staging no longer has lost its staged state (a Redis restarted without
 * persistence, or its keys expired): that is said, not NOT_FOUND.
 */
export async function uploadOf(
  staging: StagingStore,
  tenant: string,
  uploadId: string,
  projected?: Pick<ProjectedUploads, 'find'>,
): Promise<UploadMeta> {
  const meta = isUploadId(uploadId) ? await staging.getUpload(uploadId) : undefined;
  if (meta && meta.tenant === tenant) return meta;
  if (meta === undefined && projected && isUploadId(uploadId)) {
    // Only on this error path; a projection that cannot be read leaves the answer as it was.
    const known = await projected.find(tenant, uploadId).catch(() => undefined);
    if (known && !FINAL_STATUSES.has(known.status)) throw stagingLost(uploadId);
  }
  throw uploadNotFound(uploadId);
}

/** The answer for an open upload whose staged state is gone. */
export function stagingLost(uploadId: string): DataLossError {
  return new DataLossError(
    'STAGING_LOST',
    `upload ${uploadId} is open, but its staged chunks and state are gone from the staging store ` +
      '(Redis lost its data, or the upload sat idle past the staging TTL): the bytes sent so far are lost; ' +
      'upload the file again with a new InitiateUpload',
  );
}

const UPLOAD_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Whether `id` has the form InitiateUpload gives ids (a UUID). Anything else cannot name an
 * upload, and is answered as a missing one without reaching Redis or the database.
 */
export function isUploadId(id: string): boolean {
  return UPLOAD_ID.test(id);
}

/** The one answer for an upload the caller has no access to, missing or another tenant's. */
export function uploadNotFound(uploadId: string): NotFoundError {
  const shown = uploadId.length > 80 ? `${uploadId.slice(0, 80)}…` : uploadId;
  return new NotFoundError(
    'UPLOAD_NOT_FOUND',
    `upload ${JSON.stringify(shown)} does not exist for your tenant (or it finished or expired): ` +
      'start one with InitiateUpload, or check the id',
  );
}

/** Refuses new bytes for an upload that no longer takes them. */
export function requireOpen(meta: UploadMeta): void {
  if (meta.status === 'aborted') {
    throw new FailedPreconditionError(
      'UPLOAD_ABORTED',
      `upload ${meta.uploadId} was aborted${meta.abortReason ? ` (${meta.abortReason})` : ''}; start a new upload`,
    );
  }
  if (meta.status === 'sealed') {
    throw new FailedPreconditionError(
      'UPLOAD_SEALED',
      `upload ${meta.uploadId} is sealed with ${meta.totalChunks} chunks and takes no more; start a new upload to change it`,
    );
  }
}

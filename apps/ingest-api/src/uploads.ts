import { FailedPreconditionError, NotFoundError } from '@sluice/errors';
import type { ChunkEvent } from '@sluice/proto';
import type { StagingStore, UploadMeta } from '@sluice/staging';

/** Where ingest's events go: resolves once the event is durable. */
export interface ChunkEvents {
  produce(event: ChunkEvent): Promise<unknown>;
}

/**
 * The caller's upload. Someone else's upload is reported exactly like a missing one,
 * so upload ids reveal nothing across tenants.
 */
export async function uploadOf(staging: StagingStore, tenant: string, uploadId: string): Promise<UploadMeta> {
  const meta = isUploadId(uploadId) ? await staging.getUpload(uploadId) : undefined;
  if (!meta || meta.tenant !== tenant) throw uploadNotFound(uploadId);
  return meta;
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

import { toUploadState, uploadStatusFromNumber, type UploadReader } from '@sluice/projection';
import type { ProjectedUploads } from './status.ts';

/** The projector's read side (MySQL) as ingest-api's status source. */
export function projectedUploads(queries: UploadReader): ProjectedUploads {
  return {
    async find(tenant, uploadId) {
      const view = await queries.find(uploadId, { tenant, withChunks: true });
      return view && toUploadState(view);
    },
    async list(tenant, q) {
      const status = q.status === 0 ? undefined : uploadStatusFromNumber(q.status);
      const page = await queries.list({
        tenant,
        ...(status === undefined ? {} : { status }),
        ...(q.drive ? { drive: q.drive } : {}),
        ...(q.createdAfter ? { createdAfter: q.createdAfter } : {}),
        ...(q.createdBefore ? { createdBefore: q.createdBefore } : {}),
        pageSize: q.pageSize,
        pageToken: q.pageToken,
      });
      return { uploads: page.uploads.map(toUploadState), nextPageToken: page.nextPageToken };
    },
  };
}

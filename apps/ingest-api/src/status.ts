import { FailedPreconditionError, UnavailableError } from '@sluice/errors';
import { UploadStatus, type UploadState } from '@sluice/proto';
import type { StagingStore, UploadMeta } from '@sluice/staging';
import type { DecidedOutcomes } from './decided-outcomes.ts';
import { isUploadId, uploadNotFound } from './uploads.ts';

/**
 * The projection of the upload's events (the projector's MySQL): it knows what happened
 * after ingest (parts stored, completion, failure) and outlives the Redis state.
 */
export interface ProjectedUploads {
  find(tenant: string, uploadId: string): Promise<UploadState | undefined>;
  list(tenant: string, query: ListQuery): Promise<{ uploads: UploadState[]; nextPageToken: string }>;
}

/** ListUploads' filters, as the request carries them. */
export interface ListQuery {
  readonly status: UploadStatus;
  readonly drive: string;
  readonly createdAfter: Date | undefined;
  readonly createdBefore: Date | undefined;
  readonly pageSize: number;
  readonly pageToken: string;
}

/** How far along each status is; the projection and Redis are merged by it. */
const RANK: Readonly<Record<number, number>> = {
  [UploadStatus.UPLOAD_STATUS_INITIATED]: 1,
  [UploadStatus.UPLOAD_STATUS_UPLOADING]: 2,
  [UploadStatus.UPLOAD_STATUS_SEALED]: 3,
  [UploadStatus.UPLOAD_STATUS_STORED]: 4,
  [UploadStatus.UPLOAD_STATUS_COMPLETED]: 5,
  [UploadStatus.UPLOAD_STATUS_FAILED]: 5,
  [UploadStatus.UPLOAD_STATUS_ABORTED]: 5,
  [UploadStatus.UPLOAD_STATUS_EXPIRED]: 5,
};
const FINAL = 5;

/**
 * The state of an upload as ingest knows it: from Redis while the upload is in flight,
 * from the projection once the pipeline has dropped its Redis state.
 */
export class StatusReader {
  readonly #staging: StagingStore;
  readonly #projected: ProjectedUploads | undefined;
  readonly #outcomes: DecidedOutcomes | undefined;

  constructor(staging: StagingStore, projected?: ProjectedUploads, outcomes?: DecidedOutcomes) {
    this.#staging = staging;
    this.#projected = projected;
    this.#outcomes = outcomes;
  }

  /**
   * Redis knows the staging side first; the projection knows what came after (parts,
   * completion) and is all there is once the pipeline dropped the Redis state. The
   * answer takes the further-along status and the stored-part counters of the projection.
   */
  async read(tenant: string, uploadId: string): Promise<UploadState> {
    if (!isUploadId(uploadId)) throw uploadNotFound(uploadId);
    let projectionError: unknown;
    const [live, projected] = await Promise.all([
      uploadId ? this.#staging.getUpload(uploadId) : undefined,
      this.#projected?.find(tenant, uploadId).catch((err: unknown) => {
        projectionError = err;
        return undefined;
      }),
    ]);
    const mine = live?.tenant === tenant ? live : undefined;
    if (!mine) {
      // Without Redis state the projection is the answer, unless the projector is behind the
      // assembler's announced outcome. A projection that could not be read is not evidence
      // that the upload does not exist.
      if (projected && (RANK[projected.status] ?? 0) >= FINAL) return projected;
      const decided = await this.#outcomes?.find(tenant, uploadId);
      if (decided) return decided;
      if (projected) return projected;
      if (projectionError !== undefined) {
        throw new UnavailableError(
          'DATABASE_UNAVAILABLE',
          `upload ${JSON.stringify(uploadId)} is not in staging, and the upload projection could not be read ` +
            `(${projectionError instanceof Error ? projectionError.message : 'no reason given'}): retry`,
          { cause: projectionError },
        );
      }
      throw uploadNotFound(uploadId);
    }
    // The meta read above is the one used: reading it again could find it deleted in between.
    const staged = await this.#fromRedis(mine);
    if (!projected) return staged;
    if ((RANK[projected.status] ?? 0) > (RANK[staged.status] ?? 0)) return projected;
    return { ...staged, partsStored: projected.partsStored, bytesStored: projected.bytesStored };
  }

  /** A page of the tenant's uploads, from the projection. */
  async list(tenant: string, query: ListQuery): Promise<{ uploads: UploadState[]; nextPageToken: string }> {
    if (!this.#projected) {
      throw new FailedPreconditionError(
        'CONFIG_INVALID',
        'ListUploads answers from the upload projection, and this ingest-api has no database configured',
      );
    }
    return this.#projected.list(tenant, query);
  }

  async #fromRedis(meta: UploadMeta): Promise<UploadState> {
    const chunks = await this.#staging.listChunks(meta.uploadId);
    const status =
      meta.status === 'aborted'
        ? UploadStatus.UPLOAD_STATUS_ABORTED
        : meta.status === 'sealed'
          ? UploadStatus.UPLOAD_STATUS_SEALED
          : chunks.length > 0
            ? UploadStatus.UPLOAD_STATUS_UPLOADING
            : UploadStatus.UPLOAD_STATUS_INITIATED;
    return {
      uploadId: meta.uploadId,
      nodeId: meta.nodeId,
      drive: meta.drive,
      status,
      filename: meta.filename,
      chunksStaged: chunks.length,
      bytesStaged: BigInt(chunks.reduce((sum, c) => sum + c.size, 0)),
      partsStored: 0,
      bytesStored: 0n,
      totalChunks: meta.totalChunks ?? 0,
      stagedChunks: chunks.map((c) => c.chunk),
      bucket: meta.destination.bucket,
      key: meta.destination.key,
      errorCode: '',
      errorMessage: '',
      createdAt: new Date(meta.createdAt),
      updatedAt: new Date(meta.updatedAt),
    };
  }
}

import { UploadStatus, type UploadState } from '@sluice/proto';
import type { RedisStaging } from '@sluice/staging';
import { uploadOf } from './uploads.ts';

/** Statuses after which nothing changes. */
export const FINAL_STATUSES: ReadonlySet<UploadStatus> = new Set<UploadStatus>([
  UploadStatus.UPLOAD_STATUS_COMPLETED,
  UploadStatus.UPLOAD_STATUS_FAILED,
  UploadStatus.UPLOAD_STATUS_ABORTED,
  UploadStatus.UPLOAD_STATUS_EXPIRED,
]);

/** Where finished uploads are looked up once their Redis state is gone (the projector's MySQL). */
export interface FinishedUploads {
  find(tenant: string, uploadId: string): Promise<UploadState | undefined>;
}

/**
 * The state of an upload as ingest knows it: from Redis while the upload is in flight,
 * from the projection once the pipeline has dropped its Redis state.
 */
export class StatusReader {
  readonly #staging: RedisStaging;
  readonly #finished: FinishedUploads | undefined;

  constructor(staging: RedisStaging, finished?: FinishedUploads) {
    this.#staging = staging;
    this.#finished = finished;
  }

  async read(tenant: string, uploadId: string): Promise<UploadState> {
    const live = await this.#staging.getUpload(uploadId);
    if ((!live || live.tenant !== tenant) && this.#finished) {
      const done = await this.#finished.find(tenant, uploadId);
      if (done) return done;
    }
    const meta = await uploadOf(this.#staging, tenant, uploadId);
    const chunks = await this.#staging.listChunks(uploadId);
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

import { randomUUID } from 'node:crypto';
import { parseSha256 } from '@sluice/checksums';
import {
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
  ResourceExhaustedError,
} from '@sluice/errors';
import type { Logger } from '@sluice/logging';
import type { StagingStore, UploadMeta } from '@sluice/staging';
import { objectKey, type Tenants } from '@sluice/tenants';
import { uploadAbortRequested, uploadInitiated, uploadSealed } from './events.ts';
import type { IngestLimits } from './limits.ts';
import { inUploadTrace, newUploadTraceparent } from './upload-trace.ts';
import { uploadOf, type ChunkEvents } from './uploads.ts';
import type { ProjectedUploads } from './status.ts';

/** What InitiateUpload takes, as the upload keeps it; only the drive must be non-empty. */
export type InitiateRequest = Pick<
  UploadMeta,
  | 'drive'
  | 'nodeId'
  | 'filename'
  | 'mimeType'
  | 'metadata'
  | 'sizeHint'
  | 'fixedChunkSize'
  | 'clientRequestId'
>;

export interface LifecycleDeps {
  readonly staging: StagingStore;
  readonly events: ChunkEvents;
  readonly tenants: Tenants;
  readonly limits: IngestLimits;
  /** Each upload's life at info: initiated, sealed, aborted (once each, when it happens). */
  readonly logger: Logger;
  /** The projection, to tell an upload whose staged state was lost from a missing one. */
  readonly projected?: Pick<ProjectedUploads, 'find'>;
}

const MAX_METADATA_BYTES = 16 * 1024;

/** The retry hint of a tenant at its limit of open uploads: room comes as its uploads are sealed. */
const OPEN_UPLOAD_PUSHBACK_MS = 5000;

/**
 * Starting, sealing and aborting uploads. Each records the new state in Redis first,
 * then emits its event and notes that the event is durable; a retry after a crash
 * between the two finds the state and re-emits the event with the same id.
 */
export class UploadLifecycle {
  readonly #d: LifecycleDeps;
  readonly #log: Logger;

  constructor(deps: LifecycleDeps) {
    this.#d = deps;
    this.#log = deps.logger.child({ component: 'uploads' });
  }

  async initiate(tenant: string, req: InitiateRequest): Promise<UploadMeta> {
    if (!req.drive) throw new InvalidArgumentError('drive is required: name one of your drives');
    const drive = this.#d.tenants.drive(tenant, req.drive);
    if (req.fixedChunkSize < 0 || req.fixedChunkSize > this.#d.limits.maxChunkBytes) {
      throw new InvalidArgumentError(
        `fixed_chunk_size must be from 1 to ${this.#d.limits.maxChunkBytes} bytes, or 0 for chunks of any size`,
      );
    }
    if (Buffer.byteLength(JSON.stringify(req.metadata)) > MAX_METADATA_BYTES) {
      throw new InvalidArgumentError(
        `metadata is larger than ${MAX_METADATA_BYTES} bytes: keep it to a few short fields`,
      );
    }
    if (req.clientRequestId.length > 200 || req.nodeId.length > 200 || req.filename.length > 1024) {
      throw new InvalidArgumentError(
        'client_request_id and node_id take at most 200 characters, filename 1024',
      );
    }
    const uploadId = randomUUID();
    const nodeId = req.nodeId || randomUUID();
    // The upload's trace: the call's (its span, or what the caller sent), or a new one.
    const traceparent = newUploadTraceparent();
    const { created, meta } = await this.#d.staging.createUpload({
      uploadId,
      tenant,
      drive: drive.name,
      nodeId,
      filename: req.filename,
      mimeType: req.mimeType,
      metadata: req.metadata,
      sizeHint: req.sizeHint,
      fixedChunkSize: req.fixedChunkSize,
      clientRequestId: req.clientRequestId,
      traceparent,
      destination: {
        endpoint: drive.endpoint,
        region: drive.region,
        bucket: drive.bucket,
        key: objectKey(drive.keyTemplate, {
          tenant,
          drive: drive.name,
          node_id: nodeId,
          upload_id: uploadId,
          filename: req.filename || uploadId,
        }),
        checksumMode: drive.checksumMode,
        partSizePolicy: drive.partSizePolicy,
      },
    });
    await this.#admitUpload(tenant, meta.uploadId, created);
    if (!meta.emitted.initiated) {
      await inUploadTrace(meta, 'initiate upload', () => this.#d.events.produce(uploadInitiated(meta)));
      await this.#d.staging.markEmitted(meta.uploadId, 'initiated');
      this.#log.info(
        {
          upload_id: meta.uploadId,
          tenant,
          drive: meta.drive,
          node_id: meta.nodeId,
          bucket: meta.destination.bucket,
          key: meta.destination.key,
        },
        'upload initiated',
      );
    }
    return meta;
  }

  /**
   * Takes a place among the tenant's open uploads, when it has a limit, or refuses. The upload
   * is created first, so every place names an upload that exists: a crash between the two
   * leaves an upload not yet announced and not counted, which a retried initiate (same client
   * request id) finds and admits. A new upload that is refused is deleted before anything
   * announced it; a retried initiate always gets its upload back.
   */
  async #admitUpload(tenant: string, uploadId: string, created: boolean): Promise<void> {
    const limit = this.#d.tenants.limits(tenant).maxOpenUploads;
    if (limit === undefined) return;
    const admitted = await this.#d.staging.openUpload(tenant, uploadId, limit);
    if (admitted.admitted || !created) return;
    await this.#d.staging.deleteUpload(uploadId);
    throw new ResourceExhaustedError(
      'TENANT_UPLOAD_LIMIT',
      `your tenant has ${admitted.open} uploads open, its limit: seal or abort one, then initiate again`,
      { retryAfterMs: OPEN_UPLOAD_PUSHBACK_MS },
    );
  }

  /** Seals the upload with its chunk count (all chunks must be staged). Idempotent. */
  async seal(tenant: string, uploadId: string, totalChunks: number, sha256: string): Promise<UploadMeta> {
    const shaHex = sha256 ? parseSha256(sha256).toString('hex') : '';
    if (
      !Number.isInteger(totalChunks) ||
      totalChunks < 0 ||
      totalChunks > this.#d.limits.maxChunkNumber + 1
    ) {
      throw new InvalidArgumentError(
        `total_chunks ${totalChunks} is out of range (0 to ${this.#d.limits.maxChunkNumber + 1})`,
      );
    }
    const before = await uploadOf(this.#d.staging, tenant, uploadId, this.#d.projected);
    return inUploadTrace(before, 'seal upload', () => this.#seal(before, totalChunks, shaHex));
  }

  async #seal(before: UploadMeta, totalChunks: number, shaHex: string): Promise<UploadMeta> {
    const { uploadId, tenant } = before;
    await this.#ensureInitiated(before);
    const result = await this.#d.staging.seal(uploadId, totalChunks, shaHex);
    switch (result.result) {
      case 'ok':
      case 'same':
        break;
      case 'missing':
        throw new NotFoundError('UPLOAD_NOT_FOUND', `upload ${uploadId} expired before it was sealed`);
      case 'beyond':
        throw new InvalidArgumentError(
          `chunk ${result.chunk} is staged but total_chunks is ${totalChunks}: chunks are numbered from 0, so the count must be at least ${result.chunk + 1}`,
        );
      case 'incomplete': {
        const staged = new Set((await this.#d.staging.listChunks(uploadId)).map((c) => c.chunk));
        const missing: number[] = [];
        for (let n = 0; n < totalChunks && missing.length < 20; n++) if (!staged.has(n)) missing.push(n);
        throw new FailedPreconditionError(
          'UPLOAD_INCOMPLETE',
          `upload ${uploadId} has ${result.staged} of ${totalChunks} chunks staged; missing ${missing.join(', ')}` +
            `${totalChunks - result.staged > missing.length ? ', …' : ''}: send them, then seal again`,
        );
      }
      case 'status':
        if (result.status === 'sealed') {
          throw new FailedPreconditionError(
            'UPLOAD_SEALED',
            `upload ${uploadId} is already sealed with ${result.totalChunks} chunks${result.sha256 ? ' and another sha256' : ''}; it cannot be sealed differently`,
          );
        }
        throw new FailedPreconditionError(
          'UPLOAD_ABORTED',
          `upload ${uploadId} was aborted; start a new upload`,
        );
    }
    if (this.#d.tenants.limits(tenant).maxOpenUploads !== undefined)
      await this.#d.staging.closeUpload(tenant, uploadId);
    const meta = await uploadOf(this.#d.staging, tenant, uploadId, this.#d.projected);
    if (!meta.emitted.sealed) {
      await this.#d.events.produce(uploadSealed(meta));
      await this.#d.staging.markEmitted(uploadId, 'sealed');
      this.#log.info({ upload_id: uploadId, tenant, total_chunks: totalChunks }, 'upload sealed');
    }
    return meta;
  }

  /** Marks the upload aborted and asks the pipeline to clean up. Idempotent. */
  async abort(tenant: string, uploadId: string, reason: string): Promise<UploadMeta> {
    const before = await uploadOf(this.#d.staging, tenant, uploadId, this.#d.projected);
    return inUploadTrace(before, 'abort upload', () => this.#abort(before, reason));
  }

  async #abort(before: UploadMeta, reason: string): Promise<UploadMeta> {
    const { uploadId, tenant } = before;
    await this.#ensureInitiated(before);
    const result = await this.#d.staging.abort(uploadId, reason || 'aborted by the client');
    if (result === 'missing') throw new NotFoundError('UPLOAD_NOT_FOUND', `upload ${uploadId} expired`);
    if (this.#d.tenants.limits(tenant).maxOpenUploads !== undefined)
      await this.#d.staging.closeUpload(tenant, uploadId);
    const meta = await uploadOf(this.#d.staging, tenant, uploadId, this.#d.projected);
    if (!meta.emitted.aborted) {
      await this.#d.events.produce(uploadAbortRequested(meta));
      await this.#d.staging.markEmitted(uploadId, 'aborted');
      this.#log.info({ upload_id: uploadId, tenant, reason: meta.abortReason }, 'upload aborted');
    }
    return meta;
  }

  /** An upload whose UploadInitiated never became durable gets it before any later event. */
  async #ensureInitiated(meta: UploadMeta): Promise<void> {
    if (meta.emitted.initiated) return;
    await this.#d.events.produce(uploadInitiated(meta));
    await this.#d.staging.markEmitted(meta.uploadId, 'initiated');
  }
}

/**
 * Synthetic event histories of uploads, as ingest-api, the part-writer and the assembler
 * would write them, for tests and benchmarks of the projection. Deterministic for given
 * options (checksums are derived from the ids, not computed over real bytes).
 */
import { createHash } from 'node:crypto';
import type { ChunkEvent, PartEvent, UploadEvent } from '@sluice/proto';

/** How a synthetic upload ends. `open` stops after some chunks. */
export type SyntheticOutcome = 'completed' | 'failed' | 'aborted' | 'expired' | 'open';

/** Options of {@link syntheticUpload}. */
export interface SyntheticUploadOptions {
  readonly uploadId: string;
  /** @default `node-<uploadId>` */
  readonly nodeId?: string;
  readonly tenant: string;
  readonly drive: string;
  readonly outcome: SyntheticOutcome;
  /** @default 4 */
  readonly chunks?: number;
  /** Bytes per chunk. @default 1 MiB */
  readonly chunkSize?: number;
  /** Chunks per part. @default 2 */
  readonly chunksPerPart?: number;
  /** Replace chunk 0 with `force` once (generation 1). @default false */
  readonly replaceChunk?: boolean;
  /** Time of the first event; each later event is 1 ms later. @default 2026-01-01T00:00:00Z */
  readonly start?: Date;
  /** @default 'crc64nvme' */
  readonly checksumMode?: 'crc64nvme' | 'crc32c';
}

/** One event of a history, on its topic. */
export type SyntheticEvent =
  | { readonly topic: 'intake.chunks'; readonly envelope: ChunkEvent }
  | { readonly topic: 'intake.parts'; readonly envelope: PartEvent }
  | { readonly topic: 'intake.uploads'; readonly envelope: UploadEvent };

function digest(...parts: (string | number)[]): Buffer {
  return createHash('sha256').update(parts.join('/')).digest();
}

function crc64(...parts: (string | number)[]): bigint {
  return digest('crc64', ...parts).readBigUInt64BE(0);
}

function crc32(...parts: (string | number)[]): number {
  return digest('crc32', ...parts).readUInt32BE(0);
}

/** What the events of {@link syntheticUpload} add up to, for assertions. */
export interface SyntheticFacts {
  readonly uploadId: string;
  readonly status: 'COMPLETED' | 'FAILED' | 'ABORTED' | 'EXPIRED' | 'UPLOADING';
  readonly chunksStaged: number;
  readonly bytesStaged: bigint;
  readonly partsStored: number;
  readonly bytesStored: bigint;
  readonly filename: string;
  readonly totalChunks: number | null;
  readonly sizeBytes: bigint | null;
}

/** The events of one upload in the order their producers write them, and what they add up to. */
export function syntheticUpload(o: SyntheticUploadOptions): {
  events: SyntheticEvent[];
  facts: SyntheticFacts;
} {
  const chunks = o.chunks ?? 4;
  const chunkSize = o.chunkSize ?? 1024 * 1024;
  const perPart = o.chunksPerPart ?? 2;
  const mode = o.checksumMode ?? 'crc64nvme';
  const start = (o.start ?? new Date('2026-01-01T00:00:00Z')).getTime();
  const head = {
    uploadId: o.uploadId,
    nodeId: o.nodeId ?? `node-${o.uploadId}`,
    tenant: o.tenant,
    drive: o.drive,
  };
  const filename = `${o.uploadId}.bin`;
  const key = `in/${o.tenant}/${filename}`;
  const mpu = `mpu-${o.uploadId}`;
  const events: SyntheticEvent[] = [];
  let tick = 0;
  const at = (): Date => new Date(start + tick++);
  const chunk = (event: ChunkEvent['event'], eventId: string): void => {
    events.push({ topic: 'intake.chunks', envelope: { ...head, eventId, occurredAt: at(), event } });
  };
  const part = (event: PartEvent['event'], eventId: string): void => {
    events.push({ topic: 'intake.parts', envelope: { ...head, eventId, occurredAt: at(), event } });
  };
  const upload = (event: UploadEvent['event'], eventId: string): void => {
    events.push({ topic: 'intake.uploads', envelope: { ...head, eventId, occurredAt: at(), event } });
  };

  chunk(
    {
      $case: 'uploadInitiated',
      value: {
        destination: {
          endpoint: 'http://127.0.0.1:17070',
          bucket: 'sluice',
          key,
          region: 'us-east-1',
          checksumMode: mode === 'crc64nvme' ? 2 : 3,
          partSizePolicy: { kind: 1, partSize: BigInt(chunkSize * perPart) },
        },
        filename,
        mimeType: 'application/octet-stream',
        metadata: { origin: 'synthetic', upload: o.uploadId },
        sizeHint: BigInt(chunks * chunkSize),
        fixedChunkSize: BigInt(chunkSize),
        clientRequestId: '',
      },
    },
    `${o.uploadId}.initiated`,
  );
  const staged = o.outcome === 'open' || o.outcome === 'expired' ? Math.max(1, chunks - 1) : chunks;
  for (let n = 0; n < staged; n++) {
    const gens = o.replaceChunk && n === 0 ? [0, 1] : [0];
    for (const generation of gens) {
      chunk(
        {
          $case: 'chunkUploaded',
          value: {
            chunkNumber: n,
            size: BigInt(chunkSize),
            byteOffset: BigInt(n * chunkSize),
            sha256: digest(o.uploadId, n, generation),
            crc64nvme: crc64(o.uploadId, n, generation),
            crc32c: mode === 'crc32c' ? crc32(o.uploadId, n, generation) : 0,
            crc32: 0,
            segmentKeyPrefix: `sluice:{${o.uploadId}}:w${n}.${generation}`,
            segmentCount: 1,
            segmentSize: chunkSize,
            generation,
            replaced: generation > 0,
          },
        },
        `${o.uploadId}.chunk.${n}.w${generation}`,
      );
    }
  }
  const sealed = o.outcome === 'completed' || o.outcome === 'failed';
  if (sealed)
    chunk(
      { $case: 'uploadSealed', value: { totalChunks: chunks, sha256: digest('file', o.uploadId) } },
      `${o.uploadId}.sealed`,
    );
  if (o.outcome === 'aborted')
    chunk(
      { $case: 'uploadAbortRequested', value: { reason: 'client asked' } },
      `${o.uploadId}.abort-requested`,
    );

  const partsToStore =
    o.outcome === 'completed' ? Math.ceil(chunks / perPart) : o.outcome === 'failed' ? 1 : 0;
  let bytesStored = 0n;
  for (let p = 1; p <= partsToStore; p++) {
    const first = (p - 1) * perPart;
    const last = Math.min(chunks, p * perPart) - 1;
    const byteStart = BigInt(first * chunkSize);
    const byteEnd = BigInt((last + 1) * chunkSize);
    bytesStored += byteEnd - byteStart;
    part(
      {
        $case: 'partStored',
        value: {
          location: { bucket: 'sluice', key, multipartUploadId: mpu },
          partNumber: p,
          byteStart,
          byteEnd,
          etag: digest('etag', o.uploadId, p).toString('hex').slice(0, 32),
          crc64nvme: crc64(o.uploadId, 'part', p),
          crc32c: mode === 'crc32c' ? crc32(o.uploadId, 'part', p) : 0,
          crc32: 0,
          firstChunk: first,
          lastChunk: last,
        },
      },
      `${o.uploadId}.part.${p}.f${first}-${last}`,
    );
  }
  const size = BigInt(chunks * chunkSize);
  switch (o.outcome) {
    case 'completed':
      part(
        {
          $case: 'allPartsStored',
          value: {
            location: { bucket: 'sluice', key, multipartUploadId: mpu },
            partCount: partsToStore,
            totalSize: size,
            crc64nvme: crc64(o.uploadId, 'file'),
            crc32c: mode === 'crc32c' ? crc32(o.uploadId, 'file') : 0,
            sha256: digest('file', o.uploadId),
            contentSha256: digest('file', o.uploadId),
            totalChunks: chunks,
            etag: '',
            versionId: '',
            crc32: 0,
            filename,
            mimeType: 'application/octet-stream',
            metadata: { origin: 'synthetic', upload: o.uploadId },
            firstChunkAt: new Date(start + 1),
            checksumMode: mode === 'crc64nvme' ? 2 : 3,
          },
        },
        `${o.uploadId}.all-parts-stored`,
      );
      upload(
        {
          $case: 'uploadCompleted',
          value: {
            bucket: 'sluice',
            key,
            versionId: '',
            etag: `${digest('etag', o.uploadId).toString('hex').slice(0, 32)}-${partsToStore}`,
            size,
            crc64nvme: crc64(o.uploadId, 'file'),
            sha256: digest('file', o.uploadId),
            contentType: 'application/octet-stream',
            filename,
            metadata: { origin: 'synthetic', upload: o.uploadId },
            firstChunkAt: new Date(start + 1),
            completedAt: new Date(start + tick),
            partCount: partsToStore,
            crc32c: mode === 'crc32c' ? crc32(o.uploadId, 'file') : 0,
            crc32: 0,
          },
        },
        `${o.uploadId}.completed`,
      );
      break;
    case 'failed':
      part(
        {
          $case: 'uploadFailed',
          value: {
            errorCode: 'STORAGE_REJECTED',
            message: 'UploadPart 2: AccessDenied',
            s3Code: 'AccessDenied',
          },
        },
        `${o.uploadId}.failed`,
      );
      upload(
        {
          $case: 'uploadFailed',
          value: {
            errorCode: 'STORAGE_REJECTED',
            message: 'the store refused part 2',
            s3Code: 'AccessDenied',
          },
        },
        `${o.uploadId}.outcome.failed`,
      );
      break;
    case 'aborted':
      part({ $case: 'uploadAborted', value: { reason: 'client asked' } }, `${o.uploadId}.aborted`);
      upload({ $case: 'uploadAborted', value: { reason: 'client asked' } }, `${o.uploadId}.outcome.aborted`);
      break;
    case 'expired':
      upload(
        {
          $case: 'uploadExpired',
          value: { lastActivityAt: new Date(start + tick - 1), reason: 'idle for 48h' },
        },
        `${o.uploadId}.outcome.expired`,
      );
      break;
    case 'open':
      break;
  }
  const status = (
    {
      completed: 'COMPLETED',
      failed: 'FAILED',
      aborted: 'ABORTED',
      expired: 'EXPIRED',
      open: 'UPLOADING',
    } as const
  )[o.outcome];
  return {
    events,
    facts: {
      uploadId: o.uploadId,
      status,
      chunksStaged: staged,
      bytesStaged: BigInt(staged * chunkSize),
      partsStored: partsToStore,
      bytesStored,
      filename,
      totalChunks: sealed ? chunks : null,
      sizeBytes: o.outcome === 'completed' ? size : null,
    },
  };
}

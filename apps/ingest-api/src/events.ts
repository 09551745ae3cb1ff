import { checksumModeToWire, partSizeKindToWire, uploadRefOf, type ChunkEvent } from '@sluice/proto';
import type { ChunkRecord, UploadMeta } from '@sluice/staging';

type Body = NonNullable<ChunkEvent['event']>;

/**
 * The envelope of one fact about an upload. Event ids are derived from the fact
 * (upload, kind, chunk write), so an event re-emitted after a crash or a retry carries
 * the id it had the first time and consumers can drop the repeat.
 */
export function envelope(meta: UploadMeta, eventId: string, event: Body, now = new Date()): ChunkEvent {
  return {
    eventId,
    ...uploadRefOf(meta),
    occurredAt: now,
    event,
  };
}

export function uploadInitiated(meta: UploadMeta): ChunkEvent {
  const d = meta.destination;
  return envelope(meta, `${meta.uploadId}.initiated`, {
    $case: 'uploadInitiated',
    value: {
      destination: {
        endpoint: d.endpoint,
        bucket: d.bucket,
        key: d.key,
        region: d.region,
        checksumMode: checksumModeToWire(d.checksumMode),
        partSizePolicy: {
          kind: partSizeKindToWire(d.partSizePolicy.kind),
          partSize: BigInt(d.partSizePolicy.partSize),
        },
      },
      filename: meta.filename,
      mimeType: meta.mimeType,
      metadata: { ...meta.metadata },
      sizeHint: BigInt(meta.sizeHint),
      fixedChunkSize: BigInt(meta.fixedChunkSize),
      clientRequestId: meta.clientRequestId,
    },
  });
}

export function chunkUploaded(meta: UploadMeta, record: ChunkRecord, segmentKeyPrefix: string): ChunkEvent {
  return envelope(meta, `${meta.uploadId}.chunk.${record.chunk}.${record.writeId}`, {
    $case: 'chunkUploaded',
    value: {
      chunkNumber: record.chunk,
      size: BigInt(record.size),
      ...(meta.fixedChunkSize > 0 ? { byteOffset: BigInt(record.chunk) * BigInt(meta.fixedChunkSize) } : {}),
      sha256: Buffer.from(record.sha256, 'hex'),
      crc64nvme: BigInt(record.crc64nvme),
      crc32c: record.crc32c,
      crc32: record.crc32,
      segmentKeyPrefix,
      segmentCount: record.segmentCount,
      segmentSize: record.segmentSize,
      generation: record.generation,
      replaced: record.generation > 0,
    },
  });
}

export function uploadSealed(meta: UploadMeta): ChunkEvent {
  return envelope(meta, `${meta.uploadId}.sealed`, {
    $case: 'uploadSealed',
    value: {
      totalChunks: meta.totalChunks ?? 0,
      sha256: meta.sha256 ? Buffer.from(meta.sha256, 'hex') : Buffer.alloc(0),
    },
  });
}

export function uploadAbortRequested(meta: UploadMeta): ChunkEvent {
  return envelope(meta, `${meta.uploadId}.abort`, {
    $case: 'uploadAbortRequested',
    value: { reason: meta.abortReason },
  });
}

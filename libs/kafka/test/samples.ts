import { randomUUID } from 'node:crypto';
import { ChunkEvent, UploadEvent } from '@sluice/proto';

/** A ChunkUploaded event with every kind of scalar set: 64-bit, bytes, optional, bool, enum-free. */
export function chunkUploaded(nodeId: string, chunkNumber = 7): ChunkEvent {
  return ChunkEvent.fromPartial({
    eventId: randomUUID(),
    uploadId: `upload-${nodeId}`,
    nodeId,
    tenant: 'tenant-a',
    drive: 'drive-1',
    occurredAt: new Date('2026-03-01T10:20:30.456Z'),
    event: {
      $case: 'chunkUploaded',
      value: {
        chunkNumber,
        size: 5_368_709_120n,
        byteOffset: 0n,
        sha256: Buffer.alloc(32, 0xab),
        crc64nvme: 0xfedcba9876543210n,
        crc32c: 0xdeadbeef,
        segmentKeyPrefix: `{upload-${nodeId}}:c${chunkNumber}`,
        segmentCount: 5,
        segmentSize: 1_048_576,
        generation: 2,
        replaced: true,
      },
    },
  });
}

/** An UploadInitiated event: nested messages, enums, a map. */
export function uploadInitiated(nodeId: string): ChunkEvent {
  return ChunkEvent.fromPartial({
    eventId: randomUUID(),
    uploadId: `upload-${nodeId}`,
    nodeId,
    tenant: 'tenant-b',
    drive: 'drive-2',
    occurredAt: new Date('2026-03-01T10:20:00Z'),
    event: {
      $case: 'uploadInitiated',
      value: {
        destination: {
          endpoint: 'https://s3.example.test',
          bucket: 'bucket-1',
          key: 'in/a.pdf',
          region: 'eu-west-1',
          checksumMode: 2,
          partSizePolicy: { kind: 1, partSize: 16_777_216n },
        },
        filename: 'a.pdf',
        mimeType: 'application/pdf',
        metadata: { origin: 'scanner', 'x-ü': 'ß "quoted"' },
        sizeHint: 0n,
        fixedChunkSize: 8_388_608n,
        clientRequestId: 'req-1',
      },
    },
  });
}

/** An UploadCompleted event, the downstream engine's contract. */
export function uploadCompleted(nodeId: string): UploadEvent {
  return UploadEvent.fromPartial({
    eventId: randomUUID(),
    uploadId: `upload-${nodeId}`,
    nodeId,
    tenant: 'tenant-a',
    drive: 'drive-1',
    occurredAt: new Date('2026-03-01T10:21:00Z'),
    event: {
      $case: 'uploadCompleted',
      value: {
        bucket: 'bucket-1',
        key: 'a/b/c.pdf',
        versionId: 'v1',
        etag: '9b2cf535f27731c974343645a3985328-2',
        size: 20_000_000n,
        crc64nvme: 18_446_744_073_709_551_615n,
        sha256: Buffer.alloc(32, 1),
        contentType: 'application/pdf',
        filename: 'c.pdf',
        metadata: { origin: 'scanner' },
        firstChunkAt: new Date('2026-03-01T10:20:00Z'),
        completedAt: new Date('2026-03-01T10:21:00.5Z'),
        partCount: 2,
      },
    },
  });
}

/** An UploadFailed event. */
export function uploadFailed(nodeId: string): UploadEvent {
  return UploadEvent.fromPartial({
    eventId: randomUUID(),
    uploadId: `upload-${nodeId}`,
    nodeId,
    occurredAt: new Date('2026-03-01T10:22:00.123Z'),
    event: {
      $case: 'uploadFailed',
      value: { errorCode: 'STORAGE_REJECTED', message: 'AccessDenied on PutObject', s3Code: 'AccessDenied' },
    },
  });
}

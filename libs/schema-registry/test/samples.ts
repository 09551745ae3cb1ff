import { randomUUID } from 'node:crypto';
import { ChunkEvent, PartEvent, UploadEvent } from '@sluice/proto';

/** A ChunkUploaded event with every kind of field set: 64-bit, bytes, optional, bool. */
export function chunkUploaded(nodeId = `node-${randomUUID()}`): ChunkEvent {
  return ChunkEvent.fromPartial({
    eventId: randomUUID(),
    uploadId: randomUUID(),
    nodeId,
    tenant: 'tenant-a',
    drive: 'drive-1',
    occurredAt: new Date('2026-03-01T10:20:30.456Z'),
    event: {
      $case: 'chunkUploaded',
      value: {
        chunkNumber: 7,
        size: 5_368_709_120n,
        byteOffset: 0n,
        sha256: Buffer.alloc(32, 0xab),
        crc64nvme: 0xfedcba9876543210n,
        crc32c: 0xdeadbeef,
        segmentKeyPrefix: '{upload}:c7',
        segmentCount: 5,
        segmentSize: 1_048_576,
        generation: 2,
        replaced: true,
      },
    },
  });
}

export function partStored(nodeId = `node-${randomUUID()}`): PartEvent {
  return PartEvent.fromPartial({
    eventId: randomUUID(),
    uploadId: randomUUID(),
    nodeId,
    occurredAt: new Date('2026-03-01T10:20:31Z'),
    event: {
      $case: 'partStored',
      value: {
        location: { bucket: 'b', key: 'k/1', multipartUploadId: 'mpu-1' },
        partNumber: 1,
        byteStart: 0n,
        byteEnd: 16_777_216n,
        etag: 'abc',
        firstChunk: 0,
        lastChunk: 3,
      },
    },
  });
}

export function uploadCompleted(nodeId = `node-${randomUUID()}`): UploadEvent {
  return UploadEvent.fromPartial({
    eventId: randomUUID(),
    uploadId: randomUUID(),
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
        crc64nvme: 42n,
        sha256: Buffer.alloc(32, 1),
        contentType: 'application/pdf',
        filename: 'c.pdf',
        metadata: { origin: 'scanner', 'x-ü': 'ß' },
        firstChunkAt: new Date('2026-03-01T10:20:00Z'),
        completedAt: new Date('2026-03-01T10:21:00.5Z'),
        partCount: 2,
      },
    },
  });
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ChunkEvent,
  ChunkEvent_PartSizeKind,
  IntakeServiceService,
  PROTO_FILES,
  PartEvent,
  UploadChunkStreamRequest,
  protoSource,
} from '../src/index.ts';

describe('generated messages', () => {
  it('round-trips a ChunkUploaded envelope, 64-bit CRC included', () => {
    const event: ChunkEvent = {
      eventId: 'e1',
      uploadId: 'u1',
      nodeId: 'n1',
      tenant: 't',
      drive: 'd',
      occurredAt: new Date('2026-11-28T12:00:00.123Z'),
      event: {
        $case: 'chunkUploaded',
        value: {
          chunkNumber: 7,
          size: 5n * 1024n ** 3n,
          byteOffset: 0n,
          sha256: Buffer.alloc(32, 1),
          crc64nvme: 0xffff_ffff_ffff_fff1n,
          crc32c: 0xdeadbeef,
          segmentKeyPrefix: 'sluice:{u1}:c:7:g0',
          segmentCount: 5120,
          segmentSize: 1048576,
          generation: 0,
          replaced: false,
          crc32: 0,
        },
      },
    };
    const bytes = ChunkEvent.encode(event).finish();
    const back = ChunkEvent.decode(bytes);
    assert.deepEqual(back, event);
  });

  it('keeps an explicit zero byte offset apart from an absent one', () => {
    const base = ChunkEvent.fromPartial({ event: { $case: 'chunkUploaded', value: { chunkNumber: 1 } } });
    const decoded = ChunkEvent.decode(ChunkEvent.encode(base).finish());
    assert.equal(decoded.event?.$case === 'chunkUploaded' && decoded.event.value.byteOffset, undefined);
  });

  it('encodes part events and enums', () => {
    const e = PartEvent.fromPartial({
      eventId: 'x',
      event: { $case: 'partStored', value: { partNumber: 3, etag: 'abc' } },
    });
    assert.deepEqual(PartEvent.decode(PartEvent.encode(e).finish()), e);
    assert.equal(ChunkEvent_PartSizeKind.PART_SIZE_KIND_GROWING, 2);
  });

  it('defines the gRPC service with the streaming shapes of the design', () => {
    const svc = IntakeServiceService;
    assert.equal(svc.uploadChunk.path, '/sluice.intake.v1.IntakeService/UploadChunk');
    assert.equal(svc.uploadChunkStream.requestStream, true);
    assert.equal(svc.uploadChunkStream.responseStream, false);
    assert.equal(svc.watchUpload.responseStream, true);
    const frame = UploadChunkStreamRequest.fromPartial({
      frame: { $case: 'data', value: Buffer.from('hi') },
    });
    const wire = svc.uploadChunkStream.requestSerialize(frame);
    assert.deepEqual(svc.uploadChunkStream.requestDeserialize(wire), frame);
  });

  it('ships the .proto sources with Java options for downstream consumers', () => {
    for (const file of Object.values(PROTO_FILES)) {
      const text = protoSource(file);
      assert.match(text, /option java_package = "io\.sluice\.intake\.v1";/);
      assert.match(text, /option java_multiple_files = true;/);
    }
  });
});

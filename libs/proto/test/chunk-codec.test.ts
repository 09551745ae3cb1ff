import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { BinaryWriter } from '@bufbuild/protobuf/wire';
import {
  IntakeServiceService,
  IntakeServiceClientService,
  IntakeServiceZeroCopyService,
  UploadChunkRequest,
  UploadChunkStreamRequest,
  decodeUploadChunkRequest,
  decodeUploadChunkStreamRequest,
  encodeUploadChunkRequest,
  encodeUploadChunkStreamRequest,
} from '../src/index.ts';

/** An unknown field of each wire type, as a newer client might send. */
function unknownFields(): Uint8Array {
  return new BinaryWriter()
    .uint32((99 << 3) | 0)
    .uint64(123n)
    .uint32((98 << 3) | 2)
    .bytes(randomBytes(9))
    .uint32((97 << 3) | 5)
    .fixed32(7)
    .uint32((96 << 3) | 1)
    .fixed64(8n)
    .finish();
}

function concat(...parts: Uint8Array[]): Buffer {
  return Buffer.concat(parts);
}

function randomChunkRequest(i: number): UploadChunkRequest {
  return {
    uploadId: i % 5 === 0 ? '' : `upload-${i}-ü`,
    chunkNumber: i % 7 === 0 ? 0 : (i * 2_654_435_761) >>> 0,
    data: randomBytes(i % 4 === 0 ? 0 : (i * 7919) % 70_000),
    sha256: i % 3 === 0 ? '' : randomBytes(32).toString('hex'),
    force: i % 2 === 0,
    crc32c: i % 4 === 1 ? '' : randomBytes(4).toString('base64'),
  };
}

describe('zero-copy chunk decoders', () => {
  it('decode UploadChunkRequest exactly as the generated decoder does, bytes as views', () => {
    for (let i = 0; i < 200; i++) {
      const message = randomChunkRequest(i);
      const encoded = Buffer.from(UploadChunkRequest.encode(message).finish());
      // Unknown fields, and fields repeated (the last one wins) after them.
      const later = randomChunkRequest(i + 1000);
      const variants = [
        encoded,
        concat(unknownFields(), encoded, unknownFields()),
        concat(encoded, UploadChunkRequest.encode(later).finish()),
      ];
      for (const input of variants) {
        const decoded = decodeUploadChunkRequest(input);
        assert.deepEqual(decoded, UploadChunkRequest.decode(input));
        if (decoded.data.length > 0) assert.equal(decoded.data.buffer, input.buffer, 'data is a view');
      }
    }
  });

  it('decode UploadChunkStreamRequest headers and data frames as the generated decoder does', () => {
    const frames: UploadChunkStreamRequest[] = [
      {},
      { frame: { $case: 'data', value: randomBytes(100_000) } },
      { frame: { $case: 'data', value: Buffer.alloc(0) } },
      {
        frame: {
          $case: 'header',
          value: {
            uploadId: 'u',
            chunkNumber: 4,
            size: 5n * 1024n ** 3n,
            sha256: 'ab'.repeat(32),
            force: true,
            crc32c: 'AAAAAA==',
          },
        },
      },
    ];
    for (const frame of frames) {
      const encoded = Buffer.from(UploadChunkStreamRequest.encode(frame).finish());
      for (const input of [encoded, concat(unknownFields(), encoded)]) {
        const decoded = decodeUploadChunkStreamRequest(input);
        assert.deepEqual(decoded, UploadChunkStreamRequest.decode(input));
        if (decoded.frame?.$case === 'data' && decoded.frame.value.length > 0) {
          assert.equal(decoded.frame.value.buffer, input.buffer, 'data is a view');
        }
      }
    }
    // A header, then data in the same message: a oneof keeps the last one.
    const both = concat(
      UploadChunkStreamRequest.encode(frames[3] as UploadChunkStreamRequest).finish(),
      UploadChunkStreamRequest.encode(frames[1] as UploadChunkStreamRequest).finish(),
    );
    assert.deepEqual(decodeUploadChunkStreamRequest(both), UploadChunkStreamRequest.decode(both));
  });

  it('refuse a truncated message as the generated decoder does', () => {
    const encoded = Buffer.from(UploadChunkRequest.encode(randomChunkRequest(3)).finish());
    const truncated = encoded.subarray(0, encoded.length - 5);
    assert.throws(() => UploadChunkRequest.decode(truncated));
    assert.throws(() => decodeUploadChunkRequest(truncated));
  });

  it('serve the same service, with only the chunk requests decoded differently', () => {
    for (const [name, method] of Object.entries(IntakeServiceZeroCopyService)) {
      const generated = IntakeServiceService[name as keyof typeof IntakeServiceService];
      assert.equal(method.path, generated.path);
      assert.equal(method.requestSerialize, generated.requestSerialize);
      assert.equal(method.responseSerialize, generated.responseSerialize);
      const ownDecoder = name === 'uploadChunk' || name === 'uploadChunkStream';
      assert.equal(method.requestDeserialize === generated.requestDeserialize, !ownDecoder, name);
    }
  });
});

describe('single-copy chunk encoders', () => {
  it('encode UploadChunkRequest to the bytes the generated encoder writes', () => {
    for (let i = 0; i < 200; i++) {
      const message = randomChunkRequest(i);
      assert.deepEqual(
        encodeUploadChunkRequest(message),
        Buffer.from(UploadChunkRequest.encode(message).finish()),
        `request ${i}`,
      );
    }
  });

  it('encode UploadChunkStreamRequest frames to the bytes the generated encoder writes', () => {
    const frames: UploadChunkStreamRequest[] = [
      {},
      { frame: { $case: 'data', value: randomBytes(1024 * 1024 + 3) } },
      { frame: { $case: 'data', value: randomBytes(1) } },
      { frame: { $case: 'data', value: Buffer.alloc(0) } },
      {
        frame: {
          $case: 'header',
          value: { uploadId: 'u', chunkNumber: 4, size: 9n, sha256: '', force: true, crc32c: '' },
        },
      },
    ];
    for (const frame of frames)
      assert.deepEqual(
        encodeUploadChunkStreamRequest(frame),
        Buffer.from(UploadChunkStreamRequest.encode(frame).finish()),
      );
  });

  it('give clients the same service, with only the chunk requests encoded differently', () => {
    for (const [name, method] of Object.entries(IntakeServiceClientService)) {
      const generated = IntakeServiceService[name as keyof typeof IntakeServiceService];
      assert.equal(method.path, generated.path);
      assert.equal(method.requestDeserialize, generated.requestDeserialize);
      assert.equal(method.responseDeserialize, generated.responseDeserialize);
      const ownEncoder = name === 'uploadChunk' || name === 'uploadChunkStream';
      assert.equal(method.requestSerialize === generated.requestSerialize, !ownEncoder, name);
    }
  });
});

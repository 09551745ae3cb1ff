import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SluiceError } from '@sluice/errors';
import { UploadEvent } from '@sluice/proto';
import { decodeFrame, encodeFrame, MAX_SCHEMA_ID, type FrameErrorReason } from '../src/index.ts';

function hex(text: string): Buffer {
  return Buffer.from(text.replaceAll(/\s+/g, ''), 'hex');
}

function assertFrameError(frame: Uint8Array, code: string, reason: FrameErrorReason, message?: RegExp): void {
  assert.throws(
    () => decodeFrame(frame),
    (error: unknown) => {
      assert.ok(error instanceof SluiceError, `expected a SluiceError, got ${String(error)}`);
      assert.equal(error.code, code);
      assert.equal(error.details.reason, reason);
      if (message !== undefined) assert.match(error.message, message);
      return true;
    },
  );
}

describe('encodeFrame', () => {
  it('writes magic byte, big-endian contentId, a delimited Ref with the simple name, then the payload', () => {
    const frame = encodeFrame(0x01020304, 'ChunkEvent', hex('0a0161'));
    // 00 | 01020304 | 0c (Ref length) 0a 0a "ChunkEvent" | 0a 01 61
    assert.deepEqual(frame, hex(`00 01020304 0c 0a0a ${Buffer.from('ChunkEvent').toString('hex')} 0a0161`));
  });

  it('writes a multi-byte varint when the Ref is 128 bytes or longer', () => {
    const name = `M${'x'.repeat(199)}`;
    const frame = encodeFrame(5, name, new Uint8Array());
    // Ref = 0a, varint(200) = c8 01, name → 203 bytes → varint(203) = cb 01
    assert.deepEqual(frame.subarray(0, 9), hex('00 00000005 cb01 0a c8'));
    assert.equal(decodeFrame(frame).messageName, name);
  });

  it('refuses ids that do not fit the signed 4-byte field and names that are not simple names', () => {
    assert.throws(() => encodeFrame(MAX_SCHEMA_ID + 1, 'ChunkEvent', new Uint8Array()), /4-byte id/);
    assert.throws(() => encodeFrame(-1, 'ChunkEvent', new Uint8Array()), /4-byte id/);
    assert.throws(() => encodeFrame(1, 'sluice.intake.v1.ChunkEvent', new Uint8Array()), /simple name/);
    assert.throws(() => encodeFrame(1, '', new Uint8Array()), /simple name/);
  });
});

describe('a frame written by Apicurio’s ProtobufKafkaSerializer 3.1.7 on defaults', () => {
  // Captured from libs/kafka/interop/java (engine mode) producing this event under contentId 91.
  const javaFrame = hex(
    '00 0000005b 0d 0a0b 55706c6f61644576656e74' +
      '0a03652d311203752d311a036e2d312201742a0164320b08c8a690cd0610c0a9d33a5a3b0a1053544f524147455f52454a4543544544' +
      '121941636365737344656e696564206f6e205075744f626a6563741a0c41636365737344656e696564',
  );
  const event = UploadEvent.fromPartial({
    eventId: 'e-1',
    uploadId: 'u-1',
    nodeId: 'n-1',
    tenant: 't',
    drive: 'd',
    occurredAt: new Date('2026-03-01T10:22:00.123Z'),
    event: {
      $case: 'uploadFailed',
      value: { errorCode: 'STORAGE_REJECTED', message: 'AccessDenied on PutObject', s3Code: 'AccessDenied' },
    },
  });

  it('decodes to contentId 91, UploadEvent, and the event', () => {
    const frame = decodeFrame(javaFrame);
    assert.equal(frame.contentId, 91);
    assert.equal(frame.messageName, 'UploadEvent');
    assert.deepEqual(UploadEvent.decode(frame.payload), event);
  });

  it('is what encodeFrame writes for the same event, byte for byte', () => {
    assert.deepEqual(encodeFrame(91, 'UploadEvent', UploadEvent.encode(event).finish()), javaFrame);
  });
});

describe('decodeFrame', () => {
  it('reads back what encodeFrame wrote, payload sharing memory with the input', () => {
    const payload = Buffer.from('protobuf bytes');
    const frame = encodeFrame(MAX_SCHEMA_ID, 'UploadEvent', payload);
    const decoded = decodeFrame(frame);
    assert.equal(decoded.contentId, MAX_SCHEMA_ID);
    assert.equal(decoded.messageName, 'UploadEvent');
    assert.deepEqual(decoded.payload, payload);
    assert.equal(decoded.payload.buffer, frame.buffer);
  });

  it('accepts a plain Uint8Array view into a larger buffer', () => {
    const frame = encodeFrame(3, 'PartEvent', hex('0801'));
    const backing = new Uint8Array(frame.length + 10);
    backing.set(frame, 5);
    const decoded = decodeFrame(backing.subarray(5, 5 + frame.length));
    assert.equal(decoded.contentId, 3);
    assert.deepEqual(decoded.payload, hex('0801'));
  });

  it('allows an empty payload (a message with every field at its default)', () => {
    assert.equal(decodeFrame(encodeFrame(9, 'ChunkEvent', new Uint8Array())).payload.length, 0);
  });

  it('reads a Ref with fields it does not know, as Ref.parseDelimitedFrom does', () => {
    // Ref { name = "A"; 2: varint 1; 3: bytes "zz" } in any field order.
    const ref = hex('1001 0a0141 1a027a7a');
    const frame = Buffer.concat([hex('00 00000001'), Buffer.from([ref.length]), ref, hex('ff')]);
    const decoded = decodeFrame(frame);
    assert.equal(decoded.messageName, 'A');
    assert.deepEqual(decoded.payload, hex('ff'));
  });

  it('refuses a wrong magic byte and says so', () => {
    assertFrameError(
      hex('01 00000001 02 0a00'),
      'FRAME_INVALID',
      'magic-byte',
      /0x01, not the magic byte 0x00/,
    );
    // A JSON or plain Protobuf value.
    assertFrameError(Buffer.from('{"a":1}'), 'FRAME_INVALID', 'magic-byte');
  });

  it('refuses frames that end inside the header', () => {
    assertFrameError(new Uint8Array(), 'FRAME_INVALID', 'truncated', /empty/);
    assertFrameError(hex('00 0000'), 'FRAME_INVALID', 'truncated', /inside its 4-byte contentId/);
    assertFrameError(hex('00 00000001'), 'FRAME_INVALID', 'truncated', /inside the length of its Ref/);
    assertFrameError(hex('00 00000001 80'), 'FRAME_INVALID', 'truncated', /inside the length of its Ref/);
    assertFrameError(hex('00 00000001 0c 0a0a 4368'), 'FRAME_INVALID', 'truncated', /claims 12 bytes/);
  });

  it('refuses a malformed header', () => {
    assertFrameError(hex('00 ffffffff 03 0a0141'), 'FRAME_INVALID', 'malformed-header', /negative schema id/);
    // Ref is empty: names no message type.
    assertFrameError(
      hex('00 00000001 00 0a00'),
      'FRAME_INVALID',
      'malformed-header',
      /names no message type/,
    );
    // Ref's name field claims more bytes than the Ref has.
    assertFrameError(hex('00 00000001 02 0a05 41'), 'FRAME_INVALID', 'malformed-header');
    // Wire type 7 does not exist.
    assertFrameError(hex('00 00000001 01 0f'), 'FRAME_INVALID', 'malformed-header', /wire type 7/);
    // A varint longer than 5 bytes.
    assertFrameError(hex('00 00000001 ffffffffff01'), 'FRAME_INVALID', 'malformed-header', /invalid varint/);
  });
});

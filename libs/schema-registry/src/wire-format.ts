/**
 * The Kafka record value layout Apicurio Registry 3.x's Protobuf serdes write and read on their
 * defaults (`ProtobufKafkaSerializer` / `ProtobufKafkaDeserializer`, serde 3.0–3.3):
 *
 *   0x00                      magic byte (BaseSerde.MAGIC_BYTE)
 *   int32, big-endian         contentId (Default4ByteIdHandler; apicurio.registry.use-id=contentId)
 *   varint n, then n bytes    Ref { string name = 1 } — the message's simple name, written with
 *                             writeDelimitedTo (apicurio.registry.serde.send-type-ref=true)
 *   the rest                  the Protobuf message bytes
 *
 * No message-index list (send-indexes=false) and nothing in Kafka headers (headers.enabled=false).
 * The deserializer finds the message type by looking the Ref's name up among the top-level
 * messages of the schema stored under the contentId, so the name must be the simple name of a
 * top-level message.
 */
import { FailedPreconditionError, InvalidArgumentError } from '@sluice/errors';

/** First byte of every frame. */
export const MAGIC_BYTE = 0x00;

/** Largest id the 4-byte id field carries (Java writes `(int) id` and reads a signed int). */
export const MAX_SCHEMA_ID = 0x7fff_ffff;

/** Why a frame was refused; `details.reason` of the error thrown. */
export const FRAME_ERROR_REASONS = Object.freeze({
  /** The first byte is not 0x00: not an Apicurio/Confluent-style frame at all. */
  magicByte: 'magic-byte',
  /** The frame ends before its header (magic, id, Ref) does. */
  truncated: 'truncated',
  /** The id field is negative, or the Ref section is not a valid Ref message. */
  malformedHeader: 'malformed-header',
  /** The registry has no schema under the frame's contentId. */
  unknownSchema: 'unknown-schema',
  /** The frame names a message type other than the topic's envelope. */
  messageType: 'message-type',
  /** The Protobuf bytes after the header do not decode as the envelope. */
  payload: 'payload',
} as const);
export type FrameErrorReason = (typeof FRAME_ERROR_REASONS)[keyof typeof FRAME_ERROR_REASONS];

/** A frame taken apart. `payload` shares memory with the input. */
export interface DecodedFrame {
  readonly contentId: number;
  readonly messageName: string;
  readonly payload: Buffer;
}

/**
 * The bytes every frame of one (contentId, message) pair starts with. Computed once per codec so
 * that encoding an event is one Protobuf encode and one copy.
 */
export function framePrefix(contentId: number, messageName: string): Buffer {
  if (!Number.isInteger(contentId) || contentId < 0 || contentId > MAX_SCHEMA_ID) {
    throw new InvalidArgumentError(
      `contentId ${contentId} does not fit the frame's 4-byte id: it must be an integer from 0 to ${MAX_SCHEMA_ID}`,
    );
  }
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(messageName)) {
    throw new InvalidArgumentError(
      `"${messageName}" is not a Protobuf message's simple name: give the top-level message name, e.g. ChunkEvent`,
    );
  }
  const name = Buffer.from(messageName, 'utf8');
  // Ref { string name = 1 }: tag (field 1, wire type 2) = 0x0a, length, bytes.
  const ref = Buffer.concat([Buffer.from([0x0a]), varint(name.length), name]);
  const head = Buffer.alloc(5);
  head.writeUInt8(MAGIC_BYTE, 0);
  head.writeInt32BE(contentId, 1);
  return Buffer.concat([head, varint(ref.length), ref]);
}

/** Frames Protobuf bytes: `prefix` from {@link framePrefix}, then `payload`. */
export function encodeFrameWithPrefix(prefix: Buffer, payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(prefix.length + payload.length);
  prefix.copy(frame, 0);
  frame.set(payload, prefix.length);
  return frame;
}

/** Frames Protobuf bytes of `messageName` registered under `contentId`. */
export function encodeFrame(contentId: number, messageName: string, payload: Uint8Array): Buffer {
  return encodeFrameWithPrefix(framePrefix(contentId, messageName), payload);
}

/**
 * Takes a frame apart without looking anything up.
 * @throws InvalidArgumentError FRAME_INVALID, `details.reason` one of magic-byte, truncated,
 *   malformed-header.
 */
export function decodeFrame(frame: Uint8Array): DecodedFrame {
  const bytes = Buffer.isBuffer(frame)
    ? frame
    : Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  if (bytes.length === 0) {
    throw frameError('truncated', 'the event frame is empty: expected 0x00, a 4-byte contentId and a Ref');
  }
  if (bytes[0] !== MAGIC_BYTE) {
    throw frameError(
      'magic-byte',
      `the event frame starts with byte 0x${bytes[0]!.toString(16).padStart(2, '0')}, not the magic byte 0x00: ` +
        'it was not written by an Apicurio-compatible serializer',
    );
  }
  if (bytes.length < 5) {
    throw frameError(
      'truncated',
      `the event frame is ${bytes.length} bytes long: it ends inside its 4-byte contentId`,
    );
  }
  const contentId = bytes.readInt32BE(1);
  if (contentId < 0) {
    throw frameError('malformed-header', `the event frame carries a negative schema id (${contentId})`);
  }
  const refLength = readVarint(bytes, 5, 'the length of its Ref section');
  const refStart = refLength.next;
  const refEnd = refStart + refLength.value;
  if (refEnd > bytes.length) {
    throw frameError(
      'truncated',
      `the event frame is ${bytes.length} bytes long but its Ref section claims ${refLength.value} bytes from offset ${refStart}`,
    );
  }
  const messageName = readRefName(bytes.subarray(refStart, refEnd));
  return { contentId, messageName, payload: bytes.subarray(refEnd) };
}

/** Builds the typed error for a refused frame. */
export function frameError(
  reason: FrameErrorReason,
  message: string,
  options: { cause?: unknown; details?: Record<string, string | number | boolean> } = {},
): InvalidArgumentError | FailedPreconditionError {
  const details = { ...options.details, reason };
  if (reason === 'unknown-schema') {
    return new FailedPreconditionError('FRAME_UNKNOWN_SCHEMA', message, { cause: options.cause, details });
  }
  return new InvalidArgumentError(message, { code: 'FRAME_INVALID', cause: options.cause, details });
}

// Ref is parsed as Protobuf (fields in any order, unknown fields skipped), as Ref.parseDelimitedFrom does.
function readRefName(ref: Buffer): string {
  let name = '';
  let at = 0;
  while (at < ref.length) {
    const tag = readVarint(ref, at, 'a Ref field tag', 'malformed-header');
    at = tag.next;
    const field = tag.value >>> 3;
    const wireType = tag.value & 7;
    if (wireType === 0) {
      at = readVarint(ref, at, 'a Ref varint field', 'malformed-header').next;
    } else if (wireType === 1 || wireType === 5) {
      at += wireType === 1 ? 8 : 4;
    } else if (wireType === 2) {
      const length = readVarint(ref, at, 'a Ref field length', 'malformed-header');
      const end = length.next + length.value;
      if (end > ref.length)
        throw frameError('malformed-header', 'the Ref section of the event frame is not a valid Ref');
      if (field === 1) name = ref.toString('utf8', length.next, end);
      at = end;
    } else {
      throw frameError(
        'malformed-header',
        `the Ref section of the event frame has wire type ${wireType}: not a Ref`,
      );
    }
    if (at > ref.length)
      throw frameError('malformed-header', 'the Ref section of the event frame is not a valid Ref');
  }
  if (name === '') {
    throw frameError('malformed-header', 'the Ref section of the event frame names no message type');
  }
  return name;
}

function readVarint(
  bytes: Buffer,
  start: number,
  what: string,
  onEnd: FrameErrorReason = 'truncated',
): { value: number; next: number } {
  let value = 0;
  for (let i = 0; i < 5; i++) {
    const at = start + i;
    if (at >= bytes.length) throw frameError(onEnd, `the event frame ends inside ${what}`);
    const byte = bytes[at]!;
    value += (byte & 0x7f) * 2 ** (7 * i);
    if ((byte & 0x80) === 0) {
      if (value > MAX_SCHEMA_ID) break;
      return { value, next: at + 1 };
    }
  }
  throw frameError('malformed-header', `the event frame has an invalid varint for ${what}`);
}

function varint(value: number): Buffer {
  const out: number[] = [];
  let rest = value;
  while (rest > 0x7f) {
    out.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Buffer.from(out);
}

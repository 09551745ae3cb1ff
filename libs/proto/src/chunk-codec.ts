/**
 * Codecs for the two requests that carry chunk bytes.
 *
 * Decoders give `data` as a view on the received message instead of a copy. The generated
 * decoders copy every bytes field (`Buffer.from(reader.bytes())`): for chunks that is one more
 * pass over every byte received and as much garbage again.
 *
 * Encoders copy `data` once, into the message. The generated encoders copy it three times: into
 * the writer's buffer, again when `finish()` joins its pieces, and again in `Buffer.from` of the
 * result; grpc-js then copies the message once more behind its frame header. A transport that
 * writes the message itself takes it in pieces and copies `data` not at all
 * ({@link uploadChunkRequestPieces}).
 *
 * Same messages, same bytes otherwise; a test holds them to the generated codecs.
 */
import { makeGenericClientConstructor } from '@grpc/grpc-js';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import {
  ChunkHeader,
  IntakeServiceService,
  type IntakeServiceClient,
  type UploadChunkRequest,
  UploadChunkStreamRequest,
} from './gen/sluice/intake/v1/intake_service.ts';

const EMPTY = Buffer.alloc(0);

function view(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** UploadChunkRequest, `data` a view on `input`. */
export function decodeUploadChunkRequest(input: Uint8Array): UploadChunkRequest {
  const reader = new BinaryReader(input);
  const message: UploadChunkRequest = {
    uploadId: '',
    chunkNumber: 0,
    data: EMPTY,
    sha256: '',
    force: false,
    crc32c: '',
  };
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) message.uploadId = reader.string();
    else if (field === 2 && wireType === WireType.Varint) message.chunkNumber = reader.uint32();
    else if (field === 3 && wireType === WireType.LengthDelimited) message.data = view(reader.bytes());
    else if (field === 4 && wireType === WireType.LengthDelimited) message.sha256 = reader.string();
    else if (field === 5 && wireType === WireType.Varint) message.force = reader.bool();
    else if (field === 6 && wireType === WireType.LengthDelimited) message.crc32c = reader.string();
    else reader.skip(wireType, field);
  }
  return message;
}

/** UploadChunkStreamRequest, a data frame a view on `input`. */
export function decodeUploadChunkStreamRequest(input: Uint8Array): UploadChunkStreamRequest {
  const reader = new BinaryReader(input);
  const message: UploadChunkStreamRequest = { frame: undefined };
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) {
      message.frame = { $case: 'header', value: ChunkHeader.decode(reader, reader.uint32()) };
    } else if (field === 2 && wireType === WireType.LengthDelimited) {
      message.frame = { $case: 'data', value: view(reader.bytes()) };
    } else {
      reader.skip(wireType, field);
    }
  }
  return message;
}

/** The key of a length-delimited field and the length: what comes before its bytes. */
function lengthPrefix(writer: BinaryWriter, field: number, length: number): BinaryWriter {
  return writer.uint32((field << 3) | WireType.LengthDelimited).uint32(length);
}

/**
 * A message whose `data` (field `field`, the last one written) is kept apart: the encoding is
 * `head`, then `data` itself, then `tail`. A transport can send the three as they are, and
 * `data` is never copied.
 */
export interface MessagePieces {
  readonly head: Uint8Array;
  readonly data: Uint8Array;
  readonly tail: Uint8Array;
}

const NO_BYTES = new Uint8Array(0);

function pieces(head: BinaryWriter, field: number, data: Uint8Array, tail?: BinaryWriter): MessagePieces {
  return {
    head: data.length === 0 ? head.finish() : lengthPrefix(head, field, data.length).finish(),
    data,
    tail: tail?.finish() ?? NO_BYTES,
  };
}

/** The pieces joined: `data` copied once. */
function joined({ head, data, tail }: MessagePieces): Buffer {
  const out = Buffer.allocUnsafe(head.length + data.length + tail.length);
  out.set(head, 0);
  out.set(data, head.length);
  out.set(tail, head.length + data.length);
  return out;
}

/** UploadChunkRequest as the generated encoder writes it, in pieces around `data`. */
export function uploadChunkRequestPieces(message: UploadChunkRequest): MessagePieces {
  const head = new BinaryWriter();
  if (message.uploadId !== '') head.uint32(10).string(message.uploadId);
  if (message.chunkNumber !== 0) head.uint32(16).uint32(message.chunkNumber);
  const tail = new BinaryWriter();
  if (message.sha256 !== '') tail.uint32(34).string(message.sha256);
  if (message.force) tail.uint32(40).bool(message.force);
  if (message.crc32c !== '') tail.uint32(50).string(message.crc32c);
  return pieces(head, 3, message.data, tail);
}

/** UploadChunkRequest as the generated encoder writes it, `data` copied once. */
export function encodeUploadChunkRequest(message: UploadChunkRequest): Buffer {
  return joined(uploadChunkRequestPieces(message));
}

/** UploadChunkStreamRequest as the generated encoder writes it, a data frame copied once. */
export function encodeUploadChunkStreamRequest(message: UploadChunkStreamRequest): Buffer {
  // A header, or an empty data frame (a oneof writes its field even when empty): as generated.
  if (message.frame?.$case !== 'data' || message.frame.value.length === 0)
    return Buffer.from(UploadChunkStreamRequest.encode(message).finish());
  return joined(pieces(new BinaryWriter(), 2, message.frame.value));
}

/**
 * The IntakeService definition for servers: the generated one, with the chunk requests
 * decoded without copying their bytes. Clients keep using IntakeServiceService.
 */
export const IntakeServiceZeroCopyService = {
  ...IntakeServiceService,
  uploadChunk: { ...IntakeServiceService.uploadChunk, requestDeserialize: decodeUploadChunkRequest },
  uploadChunkStream: {
    ...IntakeServiceService.uploadChunkStream,
    requestDeserialize: decodeUploadChunkStreamRequest,
  },
} as const satisfies typeof IntakeServiceService;

/**
 * The IntakeService definition for clients: the generated one, with the chunk requests encoded
 * copying their bytes once.
 */
export const IntakeServiceClientService = {
  ...IntakeServiceService,
  uploadChunk: { ...IntakeServiceService.uploadChunk, requestSerialize: encodeUploadChunkRequest },
  uploadChunkStream: {
    ...IntakeServiceService.uploadChunkStream,
    requestSerialize: encodeUploadChunkStreamRequest,
  },
} as const satisfies typeof IntakeServiceService;

/** The IntakeService client on {@link IntakeServiceClientService}: use it instead of the generated one. */
export const IntakeServiceChunkClient = makeGenericClientConstructor(
  IntakeServiceClientService,
  'sluice.intake.v1.IntakeService',
) as unknown as typeof IntakeServiceClient;

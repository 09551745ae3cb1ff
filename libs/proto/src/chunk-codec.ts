/**
 * Decoders for the two requests that carry chunk bytes, giving `data` as a view on the
 * received message instead of a copy. The generated decoders copy every bytes field
 * (`Buffer.from(reader.bytes())`): for chunks that is one more pass over every byte
 * received and as much garbage again. Same messages, same results otherwise; a test holds
 * them to the generated decoders.
 */
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import {
  ChunkHeader,
  IntakeServiceService,
  type UploadChunkRequest,
  type UploadChunkStreamRequest,
} from './gen/sluice/intake/v1/intake_service.ts';

const EMPTY = Buffer.alloc(0);

function view(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** UploadChunkRequest, `data` a view on `input`. */
export function decodeUploadChunkRequest(input: Uint8Array): UploadChunkRequest {
  const reader = new BinaryReader(input);
  const message: UploadChunkRequest = { uploadId: '', chunkNumber: 0, data: EMPTY, sha256: '', force: false };
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === WireType.LengthDelimited) message.uploadId = reader.string();
    else if (field === 2 && wireType === WireType.Varint) message.chunkNumber = reader.uint32();
    else if (field === 3 && wireType === WireType.LengthDelimited) message.data = view(reader.bytes());
    else if (field === 4 && wireType === WireType.LengthDelimited) message.sha256 = reader.string();
    else if (field === 5 && wireType === WireType.Varint) message.force = reader.bool();
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

/**
 * Messages and gRPC service definitions generated from proto/ (`npm run proto:generate`).
 * The .proto files are the source of truth; nothing under gen/ is edited by hand.
 */
export * from './gen/google/protobuf/timestamp.ts';
export * from './gen/sluice/intake/v1/chunk_event.ts';
export * from './gen/sluice/intake/v1/part_event.ts';
export * from './gen/sluice/intake/v1/upload_event.ts';
export * from './gen/sluice/intake/v1/intake_service.ts';
export { PROTO_FILES, protoPath, protoSource } from './sources.ts';
export {
  DEFAULT_RECEIVE_WINDOWS,
  MAX_WINDOW_BYTES,
  MIN_WINDOW_BYTES,
  widenReceiveWindows,
  type ReceiveWindows,
} from './receive-window.ts';
export {
  IntakeServiceChunkClient,
  IntakeServiceClientService,
  IntakeServiceZeroCopyService,
  decodeUploadChunkRequest,
  decodeUploadChunkStreamRequest,
  encodeUploadChunkRequest,
  encodeUploadChunkStreamRequest,
  uploadChunkRequestPieces,
  type MessagePieces,
} from './chunk-codec.ts';
export {
  CHECKSUM_MODES,
  FINAL_STATUSES,
  GRPC_METADATA,
  checksumModeFromWire,
  checksumModeToWire,
  partSizeKindFromWire,
  partSizeKindToWire,
  uploadRefOf,
  uploadStateFingerprint,
} from './wire.ts';
export type { ChecksumMode, PartSizeKind, UploadRef } from './wire.ts';

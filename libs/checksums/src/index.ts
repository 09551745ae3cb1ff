export { ChunkDigest } from './chunk-digest.ts';
export type {
  ChecksumAlgorithm,
  ChecksumValues,
  ChunkChecksums,
  ChunkDigestOptions,
} from './chunk-digest.ts';
export { combineAll, combineCrc32, combineCrc32c, combineCrc64nvme } from './crc-combine.ts';
export type { CombinableCrc, CrcPiece } from './crc-combine.ts';
export { defaultCrcEngineName } from './crc-engine.ts';
export type { CrcEngineName } from './crc-engine.ts';
export { Crc32, crc32 } from './crc32.ts';
export { Crc32c, crc32c } from './crc32c.ts';
export { Crc64Nvme, crc64nvme } from './crc64-nvme.ts';
export type { CrcOptions } from './crc64-nvme.ts';
export { ChecksumFormatError } from './errors.ts';
export { parseCrc32c } from './parse-crc32c.ts';
export { parseSha256 } from './parse-sha256.ts';
export {
  S3_CHECKSUM_HEADERS,
  compositeCrc32cBase64,
  crc32FromBase64,
  crc32ToBase64,
  crc32cFromBase64,
  crc32cToBase64,
  crc64nvmeFromBase64,
  crc64nvmeToBase64,
  sha256ToBase64,
} from './s3-encoding.ts';
export { Sha256, sha256 } from './sha256.ts';
export { ResumableSha256, resumableSha256Missing } from './resumable-sha256.ts';
export { ChecksumPool } from './checksum-pool.ts';
export type { ChecksumPoolOptions, ChecksumSession } from './checksum-pool.ts';

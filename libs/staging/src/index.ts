export { SEGMENT_SIZE, segmentCount, stagingKeys } from './keys.ts';
export type { StagingKeys } from './keys.ts';
export { MemoryGate, redisMemory } from './memory-monitor.ts';
export type { MemoryGateOptions, RedisMemory } from './memory-monitor.ts';
export type { ChunkRecord, Destination, StagedStatus, UploadMeta } from './records.ts';
export { RedisStaging } from './redis-staging.ts';
export type {
  CommitResult,
  NewUpload,
  RedisStagingOptions,
  SealResult,
  StagedSegments,
} from './redis-staging.ts';
export { stagingCall, stagingScript } from './redis-call.ts';

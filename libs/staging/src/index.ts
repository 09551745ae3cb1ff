export { BUDGET_TOMBSTONE_MS, CONSUMER_STATE, SEGMENT_SIZE, segmentCount, stagingKeys } from './keys.ts';
export type { Budget, BudgetKeys, ConsumerState, StagingKeys } from './keys.ts';
export { MemoryGate, mastersMemory, redisMemory } from './memory-monitor.ts';
export type { MemoryGateOptions, RedisMemory } from './memory-monitor.ts';
export { MemoryStaging } from './memory-staging.ts';
export type { MemoryStagingOptions } from './memory-staging.ts';
export type { ChunkRecord, Destination, StagedStatus, UploadMeta } from './records.ts';
export type { RedisClient } from '@sluice/redis';
export { RedisStaging } from './redis-staging.ts';
export type { RedisStagingOptions } from './redis-staging.ts';
export { stagingCall, stagingScript } from './redis-call.ts';
export { MAX_SEGMENT_WRITES } from './segment-writer.ts';
export type {
  BudgetMarks,
  BudgetReservation,
  BudgetReserveResult,
  BudgetUsage,
  ChunkContent,
  ChunkWrite,
  ChunkWriteOptions,
  CommitResult,
  NewUpload,
  Reservation,
  ReserveResult,
  SealResult,
  StagedFigure,
  StagedSegments,
  StagingStore,
} from './staging-store.ts';

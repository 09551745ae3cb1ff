export { chunkLayout, partNeighbours } from './chunk-layout.ts';
export type { ChunkLayout, PartNeighbours } from './chunk-layout.ts';
export { ChunkLayoutError, FileTooLargeError, PartSizePolicyError } from './errors.ts';
export { PartPlanner } from './part-planner.ts';
export type { PartPlannerOptions, PlanState } from './part-planner.ts';
export { isChunkAligned } from './part-segments.ts';
export type { ChunkSegment, ReadyPart } from './part-segments.ts';
export {
  GROWING_FIRST_PARTS,
  GROWING_STEP_PARTS,
  checkFileSize,
  maxFileSize,
  partCount,
  partForOffset,
  partRange,
  partSizeOf,
  partsOfFile,
  planKind,
} from './part-schedule.ts';
export type { ByteRange, PartRange, UploadKind } from './part-schedule.ts';
export { DEFAULT_PART_SIZE, validatePartSizePolicy } from './part-size-policy.ts';
export type { PartSizePolicy, PartSizePolicyInput } from './part-size-policy.ts';
export { readyParts } from './ready-parts.ts';
export type { ReadyWork, UploadChunksState } from './ready-parts.ts';
export { GiB, KiB, MiB, S3_LIMITS, TiB, formatBytes } from './s3-limits.ts';

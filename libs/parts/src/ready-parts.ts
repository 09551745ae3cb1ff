import { PartPlanner, type PlanState } from './part-planner.ts';
import type { ReadyPart } from './part-segments.ts';
import type { PartSizePolicy } from './part-size-policy.ts';

/** Everything known about an upload's chunks, as a part-writer stores it. */
export interface UploadChunksState {
  readonly policy: PartSizePolicy;
  /** Known chunks: chunk number → size in bytes, in any order. */
  readonly chunkSizes: ReadonlyMap<number, number>;
  /** Declared at initiate: every chunk but the last has this size. */
  readonly fixedChunkSize?: number;
  /** Set once the upload is sealed. */
  readonly totalChunks?: number;
  /** Parts already stored or being written: not returned again. */
  readonly taken?: ReadonlySet<number>;
}

/** What can be written now. */
export interface ReadyWork {
  readonly plan: PlanState;
  /** Ready parts not in `taken`, in part order. */
  readonly parts: readonly ReadyPart[];
  /** Known once the file's size is. */
  readonly partCount: number | undefined;
  readonly totalSize: number | undefined;
}

/**
 * The parts that can be written now, from the whole state at once. It replays the state through
 * a PartPlanner, so it costs time in proportion to the chunks: a part-writer handling a stream
 * of chunk events keeps a PartPlanner per upload instead and calls this only to rebuild.
 */
export function readyParts(state: UploadChunksState): ReadyWork {
  const planner = new PartPlanner({ policy: state.policy, fixedChunkSize: state.fixedChunkSize });
  if (state.totalChunks !== undefined) planner.seal(state.totalChunks);
  for (const chunkNumber of [...state.chunkSizes.keys()].sort((a, b) => a - b)) {
    planner.addChunk(chunkNumber, state.chunkSizes.get(chunkNumber)!);
  }
  const taken = state.taken ?? new Set<number>();
  return {
    plan: planner.plan,
    parts: planner.takeReady().filter((part) => !taken.has(part.partNumber)),
    partCount: planner.partCount,
    totalSize: planner.totalSize,
  };
}

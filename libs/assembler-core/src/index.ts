export { Assembler } from './assembler.ts';
export type { AssemblerOptions } from './assembler.ts';
export { Completion } from './completion.ts';
export type { AssemblerHooks, CompletionOptions, CompletionTask, QuarantinePolicy } from './completion.ts';
export type {
  AssemblerState,
  AssemblyState,
  ClaimResult,
  PartWriterState,
  Phase,
  RecordedPart,
  StoredOutcome,
} from './assembler-state.ts';
export { AssemblyStore } from './assembly-store.ts';
export type { AssemblyStoreOptions } from './assembly-store.ts';
export { MemoryAssemblerState } from './memory-assembler-state.ts';
export type { MemoryAssemblerStateOptions } from './memory-assembler-state.ts';
export { outcomeEventId } from './event-ids.ts';
export type { OutcomeKind } from './event-ids.ts';
export { ExpirySweeper } from './expiry.ts';
export type { ExpirySweeperOptions, SweepResult } from './expiry.ts';
export { Lease } from './lease.ts';
export type { LeaseOptions } from './lease.ts';
export { assemblerMetrics } from './metrics.ts';
export type { AssemblerMetrics } from './metrics.ts';
export { OutcomePublisher } from './outcome-publisher.ts';
export type { DriveAccess, OutcomeEvents, OutcomePublisherOptions } from './outcome-publisher.ts';
export {
  abortedOutcome,
  completedOutcome,
  expiredOutcome,
  failedOutcome,
  forwardedFailure,
  parseOutcome,
  serializeOutcome,
} from './outcomes.ts';
export type { Cleanup, CompletedObject, ObjectRef, OutcomeRecord, StoredCleanup } from './outcomes.ts';
export { Reconciler, scanTargets, staticPrefix } from './reconciler.ts';
export type { OrphanAction, ReconcileEntry, ReconcileReport, ReconcilerOptions } from './reconciler.ts';
export {
  checkObject,
  describeMismatches,
  fullObjectChecksum,
  multipartEtag,
  partChecksum,
} from './verify.ts';
export type { ExpectedObject, Mismatch } from './verify.ts';

export type { PartEventSink, ResolvedDrive } from './deps.ts';
export { partWriterMetrics } from './metrics.ts';
export type { PartWriterMetrics } from './metrics.ts';
export { allPartsStored, partStored, uploadAborted, uploadFailed } from './part-events.ts';
export type { AllPartsFacts } from './part-events.ts';
export { PartStateStore } from './part-state-store.ts';
export type {
  FailureFacts,
  PartStateStoreOptions,
  StoredUploadState,
  UploadInit,
} from './part-state-store.ts';
export { PartWriter, chunkFacts, initFromEvent, initFromMeta } from './part-writer.ts';
export type { PartWriterOptions } from './part-writer.ts';

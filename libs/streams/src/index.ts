export { DEFAULT_BACKOFF, backoffDelay, pause } from './backoff.ts';
export type { BackoffOptions } from './backoff.ts';
export { DEAD_LETTER_HEADERS, kafkaDeadLetterSink } from './dead-letter.ts';
export type { DeadLetter, DeadLetterSink } from './dead-letter.ts';
export { KeyLanes } from './key-lanes.ts';
export { PartitionTracker } from './offset-tracker.ts';
export { Semaphore } from './semaphore.ts';
export { StreamProcessor } from './processor.ts';
export type { Deferred, StreamProcessorOptions, StreamRecord } from './processor.ts';

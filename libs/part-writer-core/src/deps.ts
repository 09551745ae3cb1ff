import type { Logger } from '@sluice/logging';
import type { PartEvent } from '@sluice/proto';
import type { StagingStore } from '@sluice/staging';
import type { RetryPolicy } from '@sluice/retry';
import type { Semaphore } from '@sluice/concurrency';
import type { ObjectStore } from '@sluice/storage';
import type { PartWriterMetrics } from './metrics.ts';
import type { PartBuffers } from './part-buffers.ts';
import type { PartState } from './part-state.ts';
import type { ChecksumMode, PartSizeKind } from '@sluice/proto';

/** A drive as the part-writer needs it: its object store, and the defaults for what an event leaves unsaid. */
export interface ResolvedDrive {
  readonly objects: ObjectStore;
  readonly checksumMode: ChecksumMode;
  readonly partSizePolicy: { readonly kind: PartSizeKind; readonly partSize: number };
}

/** Where PartEvents go; `produce` resolves once the event is durable. */
export interface PartEventSink {
  produce(event: PartEvent): Promise<unknown>;
}

/** What the part-writer's pieces share. */
export interface PartWriterDeps {
  readonly staging: StagingStore;
  readonly store: PartState;
  /** The upload's drive: a name is its tenant's own, so both are needed. */
  readonly drive: (tenant: string, name: string) => ResolvedDrive | undefined;
  readonly events: PartEventSink;
  readonly metrics: PartWriterMetrics;
  readonly logger: Logger;
  /** Parts read or uploaded at once in the process. */
  readonly parts: Semaphore;
  /** Where parts' bytes are read to, and kept for the next part. */
  readonly buffers: PartBuffers;
  readonly uploadConcurrency: number;
  /** Bytes of parts read ahead of an upload's whole-file hash that may wait for it. */
  readonly hashReorderBytes: number;
  /** Retry of one part write: `RETRY_POLICIES.partWrite` with the writer's overrides. */
  readonly retry: RetryPolicy;
}

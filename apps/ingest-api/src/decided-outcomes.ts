/**
 * The assembler's record of how an upload ended (`<ns>:asm-outcome:{U}`, written and owned by
 * the assembler, read here only), as a status. It outlives the upload's staging state, so it
 * answers in the window after the assembler has dropped that state and before the projector
 * has stored the outcome: a projector whose database is down, or one far behind. Without it,
 * an upload that has just completed would read as NOT_FOUND until the projection catches up.
 */
import { parseOutcome } from '@sluice/assembler-core';
import { MemoryProjection, toProjectionEvent, toUploadState, toUploadView } from '@sluice/projection';
import type { UploadState } from '@sluice/proto';
import { stagingCall, type StagingKeys, type RedisClient } from '@sluice/staging';

/** The outcomes the assembler has announced, by upload. */
export interface DecidedOutcomes {
  /** The upload's final state, once its outcome is announced; undefined before, or for another tenant. */
  find(tenant: string, uploadId: string): Promise<UploadState | undefined>;
}

/** Reads the assembler's outcome records from the staging Redis. */
export function assemblerOutcomes(redis: RedisClient, keys: StagingKeys): DecidedOutcomes {
  return {
    async find(tenant, uploadId) {
      const [record, published] = await stagingCall(() =>
        redis.hmget(keys.outcome(uploadId), 'record', 'published'),
      );
      // Decided but not yet announced: the events, and so the status, do not say it yet.
      if (!record || published !== '1') return undefined;
      const { event } = parseOutcome(record);
      if (event.tenant !== tenant || event.uploadId !== uploadId) return undefined;
      const folded = new MemoryProjection().apply([
        toProjectionEvent('intake.uploads', event, event.occurredAt ?? new Date()),
      ]);
      const row = folded.uploads.get(uploadId);
      return row && toUploadState(toUploadView(row));
    },
  };
}

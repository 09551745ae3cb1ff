import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InternalError, UnavailableError } from '@sluice/errors';
import type { ApplyResult, ProjectionRecord } from '@sluice/projection';
import { createEventCodecs, InMemorySchemaRegistry } from '@sluice/schema-registry';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { BatchWriter } from '../src/batch-writer.ts';
import { projectorMetrics } from '../src/metrics.ts';
import { RecordDecoder } from '../src/record-decoder.ts';
import { rawMessage } from './helpers.ts';

async function messages(count: number) {
  const codecs = await createEventCodecs(new InMemorySchemaRegistry(), { topicPrefix: 'w.' });
  const list = Array.from({ length: count }, (_, i) =>
    rawMessage(
      'w.intake.uploads',
      i,
      codecs['intake.uploads'].encode({
        eventId: `e${i}`,
        uploadId: `u${i}`,
        nodeId: 'n',
        tenant: 't',
        drive: 'd',
        occurredAt: new Date(0),
        event: { $case: 'uploadAborted', value: { reason: 'r' } },
      }),
    ),
  );
  return { decoder: new RecordDecoder(codecs), list };
}

/** A store that records each batch it was asked to apply and fails as `fail` says. */
function fakeStore(fail: (batch: readonly ProjectionRecord[], call: number) => Error | undefined) {
  const calls: ProjectionRecord[][] = [];
  const committed: ProjectionRecord[] = [];
  return {
    calls,
    committed,
    apply(batch: readonly ProjectionRecord[]): Promise<ApplyResult> {
      calls.push([...batch]);
      const err = fail(batch, calls.length);
      if (err) return Promise.reject(err);
      committed.push(...batch);
      return Promise.resolve({ applied: batch, skipped: 0 });
    },
  };
}

function writer(store: ReturnType<typeof fakeStore>, decoder: RecordDecoder, registry = new Registry()) {
  return new BatchWriter({
    store,
    decoder,
    metrics: projectorMetrics(registry),
    logger: pino({ level: 'silent' }),
    backoff: { initialDelayMs: 1, maxDelayMs: 2 },
  });
}

describe('BatchWriter', () => {
  it('tries a batch again after a retriable failure', async () => {
    const { decoder, list } = await messages(3);
    const store = fakeStore((_, call) =>
      call < 3 ? new UnavailableError('DATABASE_UNAVAILABLE', 'down') : undefined,
    );
    const registry = new Registry();
    assert.equal(await writer(store, decoder, registry).write(list, new AbortController().signal), true);
    assert.equal(store.calls.length, 3);
    assert.deepEqual(
      store.committed.map((r) => r.event?.uploadId),
      ['u0', 'u1', 'u2'],
    );
    const text = await registry.metrics();
    assert.match(text, /sluice_projector_retries_total\{reason="database"\} 2/);
    assert.match(
      text,
      /sluice_projector_events_total\{topic="intake.uploads",kind="uploadAborted",outcome="projected"\} 3/,
    );
  });

  it('halves a batch MySQL refuses until the one record it refuses is kept as rejected', async () => {
    const { decoder, list } = await messages(7);
    const store = fakeStore((batch) =>
      batch.some((r) => r.event?.uploadId === 'u4')
        ? new InternalError('refused', { retriable: false })
        : undefined,
    );
    assert.equal(await writer(store, decoder).write(list, new AbortController().signal), true);
    // Every record committed once, in offset order, u4 as a rejection carrying the error.
    assert.deepEqual(
      store.committed.map((r) => r.offset),
      [0n, 1n, 2n, 3n, 4n, 5n, 6n],
    );
    const rejected = store.committed.filter((r) => r.rejected);
    assert.deepEqual(
      rejected.map((r) => [r.offset, r.rejected?.code, r.rejected?.uploadId]),
      [[4n, 'INTERNAL', 'u4']],
    );
  });

  it('gives up a batch, uncommitted, when stopped while waiting to retry', async () => {
    const { decoder, list } = await messages(2);
    const store = fakeStore(() => new UnavailableError('DATABASE_UNAVAILABLE', 'down'));
    const stop = new AbortController();
    const done = writer(store, decoder).write(list, stop.signal);
    setTimeout(() => stop.abort(), 20);
    assert.equal(await done, false);
    assert.equal(store.committed.length, 0);
  });
});

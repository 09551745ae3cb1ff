/**
 * What a client sees when ingest dies, or its event log fails, between staging a chunk
 * and announcing it: the call fails, the client's retry (same bytes) emits the missing
 * event under the same id, and the chunk is staged once and announced once.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { UnavailableError } from '@sluice/errors';
import type { ChunkEvent } from '@sluice/proto';
import { startIngest } from './harness.ts';

/** A producer that refuses the first event of the given kind, as a Kafka outage would. */
function failingOnce(kind: NonNullable<ChunkEvent['event']>['$case']) {
  let failed = false;
  return (real: { produce(e: ChunkEvent): Promise<unknown> }) => ({
    produce(event: ChunkEvent): Promise<unknown> {
      if (!failed && event.event?.$case === kind) {
        failed = true;
        return Promise.reject(new UnavailableError('EVENTS_UNAVAILABLE', 'Kafka is not answering'));
      }
      return real.produce(event);
    },
  });
}

describe('ingest crash points', { timeout: 60_000 }, () => {
  it('re-emits a staged chunk whose event never became durable, once, with the same id', async (t) => {
    const h = await startIngest(t, { events: failingOnce('chunkUploaded') });
    const up = await h.rpc.initiate({ drive: 'docs' }, h.auth());
    const uploadId = up.res?.uploadId ?? '';
    const data = randomBytes(3 * 1024 * 1024 + 5);

    const first = await h.rpc.chunk({ uploadId, chunkNumber: 0, data }, h.auth());
    assert.equal(first.err?.code, status.UNAVAILABLE, 'the failed announcement fails the call');
    const staged = await h.staging.getChunk(uploadId, 0);
    assert.equal(staged?.emitted, false, 'the chunk is staged, its event not yet known durable');

    const retry = await h.rpc.chunk({ uploadId, chunkNumber: 0, data }, h.auth());
    assert.equal(retry.err, null);
    assert.equal(retry.res?.duplicate, true, 'the retry stages nothing again');
    assert.equal((await h.staging.getChunk(uploadId, 0))?.emitted, true);
    const again = await h.rpc.chunk({ uploadId, chunkNumber: 0, data }, h.auth());
    assert.equal(again.res?.duplicate, true);

    const announced = (await h.events()).filter((e) => e.event?.$case === 'chunkUploaded');
    assert.equal(announced.length, 1, 'announced exactly once');
    assert.equal(announced[0]?.eventId, `${uploadId}.chunk.0.${staged?.writeId}`);
  });

  it('re-emits a seal whose event never became durable when the client seals again', async (t) => {
    const h = await startIngest(t, { events: failingOnce('uploadSealed') });
    const up = await h.rpc.initiate({ drive: 'docs' }, h.auth());
    const uploadId = up.res?.uploadId ?? '';
    assert.equal(
      (await h.rpc.chunk({ uploadId, chunkNumber: 0, data: Buffer.from('x') }, h.auth())).err,
      null,
    );
    const first = await h.rpc.complete({ uploadId, totalChunks: 1 }, h.auth());
    assert.equal(first.err?.code, status.UNAVAILABLE);
    assert.equal((await h.staging.getUpload(uploadId))?.status, 'sealed', 'sealed in Redis before the event');
    assert.equal((await h.rpc.complete({ uploadId, totalChunks: 1 }, h.auth())).err, null);
    assert.equal((await h.rpc.complete({ uploadId, totalChunks: 1 }, h.auth())).err, null);
    const sealed = (await h.events()).filter((e) => e.event?.$case === 'uploadSealed');
    assert.equal(sealed.length, 1);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MemoryProjection,
  rowKey,
  syntheticUpload,
  type ProjectionEvent,
  type UploadRow,
} from '../src/index.ts';
import { prng, projectionEvents, shuffle, withCopies } from './helpers.ts';

const MiB = 1024 * 1024;
const T0 = new Date('2026-03-01T10:00:00Z');

function fold(events: readonly ProjectionEvent[]): MemoryProjection {
  return new MemoryProjection().apply(events);
}

function row(p: MemoryProjection, uploadId: string): UploadRow {
  const r = p.uploads.get(uploadId);
  assert.ok(r, `no row for ${uploadId}`);
  return r;
}

/** Everything the projection holds, in a form deepEqual compares regardless of insertion order. */
function snapshot(p: MemoryProjection): unknown {
  const sorted = <T>(m: Map<string, T>): [string, T][] =>
    [...m.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  return { uploads: sorted(p.uploads), chunks: sorted(p.chunks), parts: sorted(p.parts) };
}

describe('applyEvent', () => {
  it('folds a completed upload into the row its events describe', () => {
    const { events } = syntheticUpload({
      uploadId: 'u-done',
      tenant: 'acme',
      drive: 'main',
      outcome: 'completed',
      chunks: 5,
      chunkSize: MiB,
      chunksPerPart: 2,
      start: T0,
    });
    const p = fold(projectionEvents(events));
    const r = row(p, 'u-done');
    assert.equal(r.status, 'COMPLETED');
    assert.equal(r.tenant, 'acme');
    assert.equal(r.drive, 'main');
    assert.equal(r.nodeId, 'node-u-done');
    assert.equal(r.filename, 'u-done.bin');
    assert.equal(r.mimeType, 'application/octet-stream');
    assert.equal(r.metadata, '{"origin":"synthetic","upload":"u-done"}');
    assert.equal(r.checksumMode, 'crc64nvme');
    assert.equal(r.partSizeKind, 'fixed');
    assert.equal(r.partSize, BigInt(2 * MiB));
    assert.equal(r.bucket, 'sluice');
    assert.equal(r.objectKey, 'in/acme/u-done.bin');
    assert.equal(r.multipartUploadId, 'mpu-u-done');
    assert.equal(r.chunksStaged, 5);
    assert.equal(r.bytesStaged, BigInt(5 * MiB));
    assert.equal(r.partsStored, 3);
    assert.equal(r.bytesStored, BigInt(5 * MiB));
    assert.equal(r.partCount, 3);
    assert.equal(r.totalChunks, 5);
    assert.equal(r.sizeBytes, BigInt(5 * MiB));
    assert.match(r.sha256 ?? '', /^[0-9a-f]{64}$/);
    assert.match(r.etag ?? '', /^[0-9a-f]{32}-3$/);
    assert.equal(r.errorCode, null);
    assert.equal(r.reason, null);
    assert.equal(r.createdAt.getTime(), T0.getTime());
    assert.equal(r.updatedAt.getTime(), T0.getTime() + events.length - 1);
    assert.equal(r.initiatedAt?.getTime(), T0.getTime());
    assert.equal(r.firstChunkAt?.getTime(), T0.getTime() + 1);
    assert.ok(r.sealedAt && r.storedAt && r.completedAt);
    assert.equal(p.chunks.size, 5);
    assert.equal(p.parts.size, 3);
    assert.equal(p.parts.get(rowKey('u-done', 3))?.byteEnd, BigInt(5 * MiB));
  });

  it('counts a chunk replaced with force once, and keeps the newer generation', () => {
    const { events } = syntheticUpload({
      uploadId: 'u-forced',
      tenant: 't',
      drive: 'd',
      outcome: 'open',
      chunks: 4,
      chunkSize: 1000,
      replaceChunk: true,
    });
    const all = projectionEvents(events);
    const replacement = all.findIndex((e) => e.kind === 'chunkUploaded' && e.generation === 1);
    assert.ok(replacement > 0);
    // Replacement first, original second: the original must not win back.
    const reversed = [...all];
    const [moved] = reversed.splice(replacement, 1);
    reversed.splice(1, 0, moved!);
    for (const order of [all, reversed]) {
      const p = fold(order);
      const r = row(p, 'u-forced');
      assert.equal(r.chunksStaged, 3);
      assert.equal(r.bytesStaged, 3000n);
      assert.equal(r.status, 'UPLOADING');
      assert.equal(p.chunks.get(rowKey('u-forced', 0))?.generation, 1);
    }
  });

  it("shows the assembler's failure over the part-writer's, in either order", () => {
    const { events } = syntheticUpload({ uploadId: 'u-failed', tenant: 't', drive: 'd', outcome: 'failed' });
    const all = projectionEvents(events);
    for (const order of [all, [...all].reverse()]) {
      const r = row(fold(order), 'u-failed');
      assert.equal(r.status, 'FAILED');
      assert.equal(r.errorCode, 'STORAGE_REJECTED');
      assert.equal(r.errorMessage, 'the store refused part 2');
      assert.equal(r.s3Code, 'AccessDenied');
      assert.equal(r.partsStored, 1);
    }
  });

  it('ends aborted and expired uploads with their reasons', () => {
    const aborted = row(
      fold(
        projectionEvents(
          syntheticUpload({ uploadId: 'a', tenant: 't', drive: 'd', outcome: 'aborted' }).events,
        ),
      ),
      'a',
    );
    assert.equal(aborted.status, 'ABORTED');
    assert.equal(aborted.reason, 'client asked');
    assert.ok(aborted.abortRequestedAt);
    const expired = row(
      fold(
        projectionEvents(
          syntheticUpload({ uploadId: 'e', tenant: 't', drive: 'd', outcome: 'expired' }).events,
        ),
      ),
      'e',
    );
    assert.equal(expired.status, 'EXPIRED');
    assert.equal(expired.reason, 'idle for 48h');
    assert.equal(expired.totalChunks, null);
  });

  it('never moves the status back: chunk and part events arriving after the ending change no status', () => {
    const all = projectionEvents(
      syntheticUpload({ uploadId: 'u', tenant: 't', drive: 'd', outcome: 'completed' }).events,
    );
    const completed = all.filter((e) => e.kind === 'uploadCompleted');
    const rest = all.filter((e) => e.kind !== 'uploadCompleted');
    const r = row(fold([...completed, ...rest]), 'u');
    assert.equal(r.status, 'COMPLETED');
    assert.equal(r.statusAt.getTime(), completed[0]!.occurredAt.getTime());
  });

  it('lets the owning event overwrite a fact another event filled in first', () => {
    const all = projectionEvents(
      syntheticUpload({ uploadId: 'u', tenant: 't', drive: 'd', outcome: 'completed' }).events,
    );
    const initiated = all.find((e) => e.kind === 'uploadInitiated')!;
    const completed = all.find((e) => e.kind === 'uploadCompleted')!;
    const renamed = { ...initiated, filename: 'from-initiate.bin' } as ProjectionEvent;
    for (const order of [
      [completed, renamed],
      [renamed, completed],
    ]) {
      assert.equal(row(fold(order), 'u').filename, 'from-initiate.bin');
    }
  });

  it('keeps the earliest time of an event re-emitted later', () => {
    const all = projectionEvents(
      syntheticUpload({ uploadId: 'u', tenant: 't', drive: 'd', outcome: 'completed' }).events,
    );
    const sealed = all.find((e) => e.kind === 'uploadSealed')!;
    const copy = { ...sealed, occurredAt: new Date(sealed.occurredAt.getTime() + 60_000) };
    const r = row(fold([...all, copy]), 'u');
    assert.equal(r.sealedAt?.getTime(), sealed.occurredAt.getTime());
    assert.equal(r.status, 'COMPLETED');
    assert.equal(r.updatedAt.getTime(), copy.occurredAt.getTime());
  });

  it('gives the same rows for every order of a small history', () => {
    const small = projectionEvents(
      syntheticUpload({
        uploadId: 'u',
        tenant: 't',
        drive: 'd',
        outcome: 'completed',
        chunks: 2,
        chunksPerPart: 2,
      }).events,
    );
    assert.equal(small.length, 7);
    const expected = snapshot(fold(small));
    let orders = 0;
    const permute = (prefix: ProjectionEvent[], rest: ProjectionEvent[]): void => {
      if (rest.length === 0) {
        orders++;
        assert.deepEqual(snapshot(fold(prefix)), expected, `order ${prefix.map((e) => e.kind).join(',')}`);
        return;
      }
      rest.forEach((e, i) => permute([...prefix, e], [...rest.slice(0, i), ...rest.slice(i + 1)]));
    };
    permute([], small);
    assert.equal(orders, 5040);
  });

  it('gives the same rows for any interleaving of many uploads, with copies', () => {
    const outcomes = ['completed', 'failed', 'aborted', 'expired', 'open'] as const;
    const history = outcomes.flatMap((outcome, i) =>
      projectionEvents(
        syntheticUpload({
          uploadId: `u${i}`,
          tenant: 't',
          drive: 'd',
          outcome,
          chunks: 5,
          replaceChunk: i % 2 === 0,
          start: new Date(T0.getTime() + i * 1000),
        }).events,
      ),
    );
    const base = fold(history);
    for (let seed = 1; seed <= 200; seed++) {
      const random = prng(seed);
      const delivered = withCopies(history, random);
      const expected = snapshot(fold(delivered));
      const shuffled = fold(shuffle(delivered, random));
      assert.deepEqual(snapshot(shuffled), expected, `seed ${seed}`);
      // Copies change times at most (a copy's time is its own), never what is counted.
      for (const [id, r] of base.uploads) {
        const c = row(shuffled, id);
        assert.deepEqual(
          [c.status, c.chunksStaged, c.bytesStaged, c.partsStored, c.bytesStored, c.createdAt],
          [r.status, r.chunksStaged, r.bytesStaged, r.partsStored, r.bytesStored, r.createdAt],
          `seed ${seed} upload ${id}`,
        );
      }
    }
    assert.deepEqual(
      outcomes.map((_, i) => row(base, `u${i}`).status),
      ['COMPLETED', 'FAILED', 'ABORTED', 'EXPIRED', 'UPLOADING'],
    );
  });

  it('ignores an event of a kind it does not know', () => {
    const p = fold([
      { eventId: 'x', uploadId: 'u', nodeId: 'n', tenant: 't', drive: 'd', occurredAt: T0, kind: 'unknown' },
    ]);
    assert.equal(p.uploads.size, 0);
  });
});

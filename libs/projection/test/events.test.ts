import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SluiceError } from '@sluice/errors';
import type { ChunkEvent, PartEvent } from '@sluice/proto';
import { canonicalMetadata, clip, LIMITS, toProjectionEvent } from '../src/index.ts';

const head = { eventId: 'e1', uploadId: 'u1', nodeId: 'n1', tenant: 't', drive: 'd' };
const RECORD_TIME = new Date('2026-02-02T00:00:00Z');

function rejected(fn: () => unknown): SluiceError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof SluiceError);
    assert.equal(err.code, 'EVENT_INVALID');
    assert.equal(err.retriable, false);
    return err;
  }
  assert.fail('the event was accepted');
}

describe('toProjectionEvent', () => {
  it('flattens an UploadInitiated, turning proto3 blanks into nulls', () => {
    const envelope: ChunkEvent = {
      ...head,
      occurredAt: new Date('2026-02-01T00:00:00Z'),
      event: {
        $case: 'uploadInitiated',
        value: {
          destination: {
            endpoint: 'https://s3.example',
            bucket: 'b',
            key: 'k',
            region: '',
            checksumMode: 3,
            partSizePolicy: { kind: 2, partSize: 16n },
          },
          filename: 'f.bin',
          mimeType: '',
          metadata: { z: '1', a: '2' },
          sizeHint: 0n,
          fixedChunkSize: 8n,
          clientRequestId: '',
        },
      },
    };
    const e = toProjectionEvent('intake.chunks', envelope, RECORD_TIME);
    assert.equal(e.kind, 'uploadInitiated');
    if (e.kind !== 'uploadInitiated') return;
    assert.equal(e.occurredAt.toISOString(), '2026-02-01T00:00:00.000Z');
    assert.equal(e.mimeType, null);
    assert.equal(e.region, null);
    assert.equal(e.sizeHint, null);
    assert.equal(e.fixedChunkSize, 8n);
    assert.equal(e.checksumMode, 'crc32c');
    assert.equal(e.partSizeKind, 'growing');
    assert.equal(e.metadata, '{"a":"2","z":"1"}');
  });

  it("takes the record's time when the event has none", () => {
    const e = toProjectionEvent(
      'intake.chunks',
      { ...head, occurredAt: undefined, event: { $case: 'uploadAbortRequested', value: { reason: '' } } },
      RECORD_TIME,
    );
    assert.equal(e.occurredAt, RECORD_TIME);
    assert.equal(e.kind === 'uploadAbortRequested' && e.reason, null);
  });

  it('refuses events without a usable upload id or event id', () => {
    const event: ChunkEvent['event'] = { $case: 'uploadAbortRequested', value: { reason: 'x' } };
    assert.match(
      rejected(() => toProjectionEvent('intake.chunks', { ...head, uploadId: '', event }, RECORD_TIME))
        .message,
      /upload_id/,
    );
    rejected(() =>
      toProjectionEvent('intake.chunks', { ...head, uploadId: 'has space', event }, RECORD_TIME),
    );
    rejected(() =>
      toProjectionEvent(
        'intake.chunks',
        { ...head, eventId: 'x'.repeat(LIMITS.eventId + 1), event },
        RECORD_TIME,
      ),
    );
    rejected(() =>
      toProjectionEvent(
        'intake.chunks',
        { ...head, tenant: 't'.repeat(LIMITS.tenant + 1), event },
        RECORD_TIME,
      ),
    );
    // PostgreSQL cannot store a NUL, so no store gets it.
    rejected(() => toProjectionEvent('intake.chunks', { ...head, drive: 'd\u0000', event }, RECORD_TIME));
  });

  it('refuses a chunk whose SHA-256 is not 32 bytes, and a part numbered 0', () => {
    rejected(() =>
      toProjectionEvent(
        'intake.chunks',
        {
          ...head,
          event: {
            $case: 'chunkUploaded',
            value: {
              chunkNumber: 0,
              size: 1n,
              sha256: Buffer.alloc(31),
              crc64nvme: 0n,
              crc32c: 0,
              crc32: 0,
              segmentKeyPrefix: '',
              segmentCount: 1,
              segmentSize: 1,
              generation: 0,
              replaced: false,
            },
          },
        },
        RECORD_TIME,
      ),
    );
    const part: PartEvent = {
      ...head,
      event: {
        $case: 'partStored',
        value: {
          partNumber: 0,
          byteStart: 0n,
          byteEnd: 1n,
          etag: 'e',
          crc64nvme: 0n,
          crc32c: 0,
          crc32: 0,
          firstChunk: 0,
          lastChunk: 0,
        },
      },
    };
    rejected(() => toProjectionEvent('intake.parts', part, RECORD_TIME));
  });

  it('keeps the CRC32C of AllPartsStored only when its checksum mode computes it', () => {
    const value = {
      partCount: 1,
      totalSize: 1n,
      crc64nvme: 5n,
      crc32c: 7,
      sha256: Buffer.alloc(0),
      contentSha256: Buffer.alloc(0),
      totalChunks: 1,
      etag: '',
      versionId: '',
      crc32: 9,
      filename: '',
      mimeType: '',
      metadata: {},
      checksumMode: 2,
    };
    const nvme = toProjectionEvent(
      'intake.parts',
      { ...head, event: { $case: 'allPartsStored', value } },
      RECORD_TIME,
    );
    assert.ok(nvme.kind === 'allPartsStored');
    assert.deepEqual([nvme.crc32c, nvme.crc32, nvme.sha256], [null, null, null]);
    const c = toProjectionEvent(
      'intake.parts',
      { ...head, event: { $case: 'allPartsStored', value: { ...value, checksumMode: 3 } } },
      RECORD_TIME,
    );
    assert.ok(c.kind === 'allPartsStored');
    assert.equal(c.crc32c, 7);
  });

  it('names an event of an unknown kind, so it can be skipped', () => {
    assert.equal(
      toProjectionEvent('intake.uploads', { ...head, event: undefined }, RECORD_TIME).kind,
      'unknown',
    );
  });
});

describe('clip and canonicalMetadata', () => {
  it('cut long text without splitting a surrogate pair, and blank to null', () => {
    assert.equal(clip(''), null);
    assert.equal(clip('abc', 2), 'ab');
    assert.equal(clip('a😀', 2), 'a');
    assert.equal(clip('a😀', 3), 'a😀');
  });

  it('replaces what no store can hold: NUL, and a lone surrogate', () => {
    assert.equal(clip('a\u0000b'), 'a\uFFFDb');
    assert.equal(clip('a\uD800b'), 'a\uFFFDb');
    assert.equal(clip('ab\uDC00'), 'ab\uFFFD');
  });

  it('writes equal maps as equal strings', () => {
    assert.equal(canonicalMetadata({ b: '1', a: '2' }), canonicalMetadata({ a: '2', b: '1' }));
  });
});

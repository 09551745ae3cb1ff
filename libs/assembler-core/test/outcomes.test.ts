import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UploadEvent } from '@sluice/proto';
import {
  completedOutcome,
  expiredOutcome,
  failedOutcome,
  outcomeEventId,
  parseOutcome,
  serializeOutcome,
} from '../src/index.ts';

const who = { uploadId: 'u1', nodeId: 'n1', tenant: 't', drive: 'd' };

describe('outcomes', () => {
  it('stores an outcome so that it is announced again byte for byte', () => {
    const record = completedOutcome(
      who,
      {
        location: { bucket: 'b', key: 'k', multipartUploadId: 'm' },
        partCount: 2,
        totalSize: 12n,
        crc64nvme: 0xffff_ffff_ffff_fff0n,
        crc32c: 0,
        sha256: Buffer.alloc(32, 7),
        contentSha256: Buffer.alloc(32, 7),
        totalChunks: 3,
        etag: '',
        versionId: '',
        crc32: 0,
        filename: 'f.txt',
        mimeType: 'text/plain',
        metadata: { a: '1' },
        firstChunkAt: new Date(1_000),
        checksumMode: 2,
      },
      { etag: '"abc-2"', versionId: 'v1', completedAt: new Date(2_000), sha256: Buffer.alloc(32, 7) },
    );
    const back = parseOutcome(serializeOutcome(record));
    assert.deepEqual(
      Buffer.from(UploadEvent.encode(back.event).finish()),
      Buffer.from(UploadEvent.encode(record.event).finish()),
    );
    assert.equal(back.event.eventId, outcomeEventId('u1', 'upload-completed'));
    const value = back.event.event?.$case === 'uploadCompleted' ? back.event.event.value : undefined;
    assert.equal(value?.etag, 'abc-2');
    assert.equal(value?.crc64nvme, 0xffff_ffff_ffff_fff0n);
    assert.deepEqual(back.event.occurredAt, new Date(2_000));
  });

  it('keeps the clean-up steps and the error facts', () => {
    const cleanup = [
      { kind: 'abort-multipart', tenant: 't', drive: 'd', bucket: 'b', key: 'k', uploadId: 'm' },
    ] as const;
    const failed = failedOutcome(
      who,
      { code: 'STORAGE_REJECTED', message: 'no', details: { s3Code: 'AccessDenied' } },
      cleanup,
      new Date(5),
    );
    const back = parseOutcome(serializeOutcome(failed));
    assert.deepEqual(back.cleanup, cleanup);
    assert.deepEqual(back.event.event, {
      $case: 'uploadFailed',
      value: { errorCode: 'STORAGE_REJECTED', message: 'no', s3Code: 'AccessDenied' },
    });
    const expired = expiredOutcome(who, new Date(1), 'idle', [], new Date(9));
    assert.equal(expired.event.eventId, outcomeEventId('u1', 'upload-expired'));
  });
});

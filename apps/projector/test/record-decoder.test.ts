import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createEventCodecs, InMemorySchemaRegistry } from '@sluice/schema-registry';
import { RecordDecoder } from '../src/record-decoder.ts';
import { rawMessage } from './helpers.ts';

describe('RecordDecoder', () => {
  it('decodes events, and turns records that can never be events into rejections', async () => {
    const codecs = await createEventCodecs(new InMemorySchemaRegistry(), { topicPrefix: 'x.' });
    const decoder = new RecordDecoder(codecs);
    const good = codecs['intake.uploads'].encode({
      eventId: 'e1',
      uploadId: 'u1',
      nodeId: 'n1',
      tenant: 't',
      drive: 'd',
      occurredAt: new Date('2026-01-01T00:00:00Z'),
      event: { $case: 'uploadAborted', value: { reason: 'asked' } },
    });
    const noUploadId = codecs['intake.uploads'].encode({
      eventId: 'e2',
      uploadId: '',
      nodeId: 'n1',
      tenant: 't',
      drive: 'd',
      event: { $case: 'uploadAborted', value: { reason: 'asked' } },
    });
    const records = await decoder.decode([
      rawMessage('x.intake.uploads', 0, good),
      rawMessage('x.intake.uploads', 1, Buffer.from('not a frame')),
      rawMessage('x.intake.uploads', 2, noUploadId),
      rawMessage('elsewhere', 0, good),
    ]);
    assert.equal(records[0]?.event?.kind, 'uploadAborted');
    assert.equal(records[0]?.offset, 0n);
    assert.equal(records[1]?.rejected?.code, 'FRAME_INVALID');
    assert.equal(records[2]?.rejected?.code, 'EVENT_INVALID');
    assert.equal(records[2]?.rejected?.eventId, 'e2');
    assert.equal(records[3]?.rejected?.code, 'FRAME_UNKNOWN_SCHEMA');
    assert.equal(decoder.topicOf('x.intake.parts'), 'intake.parts');
  });
});

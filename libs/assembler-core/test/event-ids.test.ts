import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { outcomeEventId } from '../src/index.ts';

describe('outcomeEventId', () => {
  it('is a version-5 UUID that depends only on the upload and the outcome kind', () => {
    const id = outcomeEventId('upload-1', 'upload-completed');
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(outcomeEventId('upload-1', 'upload-completed'), id);
    assert.notEqual(outcomeEventId('upload-2', 'upload-completed'), id);
    assert.notEqual(outcomeEventId('upload-1', 'upload-failed'), id);
  });
});

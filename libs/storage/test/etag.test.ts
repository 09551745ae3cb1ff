import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { quoteEtag, unquoteEtag } from '../src/index.ts';

describe('ETags', () => {
  it('strips the quotes S3 puts around ETags', () => {
    assert.equal(unquoteEtag('"abc"'), 'abc');
    assert.equal(unquoteEtag('W/"abc"'), 'abc');
    assert.equal(unquoteEtag('abc-3'), 'abc-3');
    assert.equal(unquoteEtag('"abc'), 'abc');
    assert.equal(unquoteEtag(undefined), '');
  });

  it('quotes a bare ETag once', () => {
    assert.equal(quoteEtag('abc-3'), '"abc-3"');
    assert.equal(quoteEtag('"abc"'), '"abc"');
  });
});

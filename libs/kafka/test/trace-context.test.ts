import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { traceHeadersOf } from '@sluice/telemetry';
import { newTraceparent, parseTraceparent, recordTraceContext } from '../src/index.ts';

describe('trace context', () => {
  it('parses the W3C example and refuses invalid values', () => {
    assert.deepEqual(parseTraceparent('00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'), {
      version: '00',
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      parentId: '00f067aa0ba902b7',
      flags: '01',
    });
    for (const invalid of [
      '',
      'garbage',
      '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01',
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01',
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra',
    ]) {
      assert.equal(parseTraceparent(invalid), undefined, invalid);
    }
    // A future version may carry more fields.
    assert.ok(parseTraceparent('01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra'));
  });

  it('starts new, valid, distinct traces', () => {
    const a = newTraceparent();
    const b = newTraceparent();
    assert.notEqual(a, b);
    assert.equal(parseTraceparent(a)?.version, '00');
    assert.equal(parseTraceparent(a)?.flags, '01');
  });

  it('reads a record whose traceparent header has no value as one without a trace', () => {
    const valid = new Map([[Buffer.from('traceparent'), Buffer.from(newTraceparent())]]);
    assert.ok(traceHeadersOf(recordTraceContext(valid)), 'a valid one is read');
    const headers = new Map<Buffer, Buffer | undefined>([
      [Buffer.from('traceparent'), undefined],
      [Buffer.from('other'), Buffer.from('x')],
    ]);
    assert.equal(traceHeadersOf(recordTraceContext(headers)), undefined);
  });
});

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { inSpan } from '@sluice/telemetry';
import { recordSpans } from '@sluice/telemetry/testing';
import { createLogger, forUpload } from '../src/index.ts';

recordSpans();

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}

describe('logging', () => {
  it('writes JSON with service, level label and upload correlation fields', () => {
    const out = capture();
    const log = createLogger({ service: 'ingest-api', destination: out.stream });
    forUpload(log, { upload_id: 'u-1', node_id: 'n-9' }).info({ chunk: 3 }, 'chunk staged');
    const [line] = out.lines();
    assert.equal(line?.['service'], 'ingest-api');
    assert.equal(line?.['level'], 'info');
    assert.equal(line?.['upload_id'], 'u-1');
    assert.equal(line?.['node_id'], 'n-9');
    assert.equal(line?.['chunk'], 3);
    assert.equal(line?.['msg'], 'chunk staged');
    assert.match(String(line?.['time']), /^\d{4}-\d\d-\d\dT/);
  });

  it('puts trace_id and span_id on every line written inside a span, and none outside', async () => {
    const out = capture();
    const log = createLogger({ service: 'part-writer', destination: out.stream });
    log.info('before');
    const ids = await inSpan('store part 1', {}, (span) => {
      forUpload(log, { upload_id: 'u-2' }).info('part stored');
      return Promise.resolve(span.spanContext());
    });
    const [outside, inside] = out.lines();
    assert.equal(outside?.['trace_id'], undefined);
    assert.equal(inside?.['trace_id'], ids.traceId);
    assert.equal(inside?.['span_id'], ids.spanId);
    assert.equal(inside?.['upload_id'], 'u-2');
  });

  it('redacts credentials wherever they appear', () => {
    const out = capture();
    const log = createLogger({ service: 't', destination: out.stream });
    log.info({ drive: { secretAccessKey: 'AKIA-secret', bucket: 'b' }, authorization: 'Bearer k' }, 'x');
    const text = JSON.stringify(out.lines());
    assert.ok(!text.includes('AKIA-secret'));
    assert.ok(!text.includes('Bearer k'));
    assert.ok(text.includes('"bucket":"b"'));
  });
});

import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { createLogger, forUpload } from '../src/index.ts';

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

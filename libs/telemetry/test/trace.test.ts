import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpanStatusCode } from '@opentelemetry/api';
import {
  contextOf,
  flushTracing,
  inSpan,
  logCorrelation,
  startSpan,
  traceHeadersOf,
  withSpan,
} from '../src/index.ts';
import { recordSpans } from './recorder.ts';

const recorder = recordSpans();

const PARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('tracing with the SDK started', () => {
  it('continues the trace a traceparent names, and hands on its own span as the next parent', async () => {
    recorder.reset();
    const inside = await inSpan('work', { parent: contextOf({ traceparent: PARENT }) }, () =>
      Promise.resolve(traceHeadersOf()),
    );
    const [span] = recorder.spans();
    assert.ok(span && inside);
    assert.equal(span.spanContext().traceId, '0af7651916cd43dd8448eb211c80319c');
    assert.equal(span.parentSpanContext?.spanId, 'b7ad6b7169203331');
    assert.equal(inside.traceparent, `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
  });

  it('puts trace_id and span_id on log lines written inside a span, and nothing outside one', async () => {
    assert.deepEqual(logCorrelation(), {});
    const fields = await inSpan('logged', {}, (span) =>
      Promise.resolve({ fields: logCorrelation(), ids: span.spanContext() }),
    );
    assert.deepEqual(fields.fields, { trace_id: fields.ids.traceId, span_id: fields.ids.spanId });
  });

  it('records a failure on the span and passes the error on', async () => {
    recorder.reset();
    await assert.rejects(
      inSpan('fails', {}, () => Promise.reject(new Error('the bucket is gone'))),
      /the bucket is gone/,
    );
    const [span] = recorder.spans();
    assert.equal(span?.status.code, SpanStatusCode.ERROR);
    assert.equal(span?.status.message, 'the bucket is gone');
    assert.equal(span?.events[0]?.name, 'exception');
  });

  it('makes a span started by hand active where asked, and ignores an invalid traceparent', async () => {
    const span = startSpan('by hand', { parent: contextOf({ traceparent: 'not-a-traceparent' }) });
    const headers = withSpan(span, () => traceHeadersOf());
    span.end();
    assert.equal(headers?.traceparent.split('-')[2], span.spanContext().spanId);
    assert.equal(span.spanContext().traceId.length, 32, 'a new trace, not the invalid one');
    await flushTracing();
  });
});

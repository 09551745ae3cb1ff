import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LatencyHistogram } from '../../src/lib/latency.ts';

test('LatencyHistogram reads percentiles back in milliseconds', () => {
  const h = new LatencyHistogram();
  for (let i = 1; i <= 1000; i++) h.record(i);
  const s = h.summary();
  assert.equal(s.count, 1000);
  assert.ok(Math.abs(s.p50 - 500) <= 1, `p50 ${s.p50}`);
  assert.ok(Math.abs(s.p999 - 999) <= 1, `p99.9 ${s.p999}`);
  assert.ok(Math.abs(s.max - 1000) <= 1, `max ${s.max}`);
});

test('LatencyHistogram summarises an empty run as NaN, not zero', () => {
  const s = new LatencyHistogram().summary();
  assert.equal(s.count, 0);
  assert.ok(Number.isNaN(s.p95));
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuSeconds, measure, peakRssBytes } from '../../src/lib/proc-usage.ts';

test('proc-usage reads this process: CPU grows with work, peak RSS is at least the current RSS', () => {
  const span = measure([{ name: 'self', pid: process.pid }]);
  const before = cpuSeconds(process.pid);
  const end = Date.now() + 300;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
  assert.ok(x > 0);
  assert.ok(cpuSeconds(process.pid) > before);
  assert.ok(peakRssBytes(process.pid) >= process.memoryUsage().rss * 0.9);
  const [usage] = span.finish();
  assert.equal(usage?.name, 'self');
  assert.ok((usage?.cpuSeconds ?? 0) > 0);
});

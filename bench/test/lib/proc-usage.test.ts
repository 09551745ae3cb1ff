import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cpuTimes, measure, peakRssBytes } from '../../src/lib/proc-usage.ts';

test('proc-usage reads this process: CPU grows with work, peak RSS is at least the current RSS', () => {
  const span = measure([{ name: 'self', pid: process.pid }]);
  const before = cpuTimes(process.pid).total;
  const end = Date.now() + 300;
  let x = 0;
  while (Date.now() < end) x += Math.sqrt(x + 1);
  assert.ok(x > 0);
  const after = cpuTimes(process.pid);
  assert.ok(after.total > before);
  assert.ok(after.system >= 0 && after.system <= after.total);
  assert.ok(peakRssBytes(process.pid) >= process.memoryUsage().rss * 0.9);
  const [usage] = span.finish();
  assert.equal(usage?.name, 'self');
  assert.ok((usage?.cpuSeconds ?? 0) > 0);
});

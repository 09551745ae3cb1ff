import assert from 'node:assert/strict';
import { test } from 'node:test';
import { barChart } from '../../src/lib/svg.ts';

test('barChart draws one bar per finite value, the tallest at full height, and escapes labels', () => {
  const svg = barChart(
    'a <b>',
    'MB/s',
    ['x', 'y'],
    [
      { label: 'c1', values: [10, 20] },
      { label: 'c2', values: [Number.NaN, 5] },
    ],
  );
  assert.equal(
    svg.match(/<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+" fill="#[0-9a-f]+"><title>/g)
      ?.length,
    3,
  );
  assert.match(svg, /height="220"[^>]*><title>y: 20\.0 MB\/s/);
  assert.match(svg, /a &lt;b&gt;/);
});

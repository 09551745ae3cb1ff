import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { findExecutable } from '../src/run-command.ts';
import { ALERT_RULES } from '../src/services/prometheus.ts';

const TESTS = join(ALERT_RULES, '..', 'sluice-alerts.test.yml');

/** promtool comes with Prometheus, which `npm run infra -- up` installs. */
function promtool(args: string[]): string {
  const bin = findExecutable('promtool');
  assert.ok(bin, 'promtool is not installed: `npm run infra -- up` installs it with Prometheus');
  return execFileSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

test('the alerting rules load, and every alert passes its promtool unit tests', () => {
  assert.match(promtool(['check', 'rules', ALERT_RULES]), /SUCCESS: \d+ rules found/);
  assert.match(promtool(['test', 'rules', TESTS]), /SUCCESS/);
});

test('every alert has unit tests that see it fire and stay quiet', () => {
  const alerts = [...readFileSync(ALERT_RULES, 'utf8').matchAll(/^\s+- alert: (\w+)$/gm)].map((m) => m[1]);
  assert.ok(alerts.length >= 7, alerts.join(', '));
  const tests = readFileSync(TESTS, 'utf8');
  for (const alert of alerts) {
    const cases = [...tests.matchAll(new RegExp(`alertname: ${alert}\\b[^\\n]*`, 'g'))].map((m) => m[0]);
    assert.ok(
      cases.some((c) => c.includes('exp_alerts: []')),
      `${alert} has no case where it stays quiet`,
    );
    assert.ok(
      cases.some((c) => !c.includes('exp_alerts: []')),
      `${alert} has no case where it fires`,
    );
  }
});

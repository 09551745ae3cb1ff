import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { before, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { APPS, type AppName } from '@sluice/config';
import { portFromEnv, requireServices, serviceUrl } from '@sluice/testing';
import { ALERT_RULES } from '../src/services/prometheus.ts';

before(() => requireServices(['prometheus']));

interface Target {
  readonly labels: Record<string, string>;
  readonly scrapeUrl: string;
  readonly health: 'up' | 'down' | 'unknown';
}

/** Listens on the first APPS port nobody uses, as that app would. */
async function listenAsAnApp(run: string): Promise<{ server: Server; app: AppName; port: number }> {
  for (const app of Object.keys(APPS) as AppName[]) {
    const port = portFromEnv(process.env, APPS[app].httpPortEnv, APPS[app].httpPort);
    const server = createServer((req, res) => {
      if (req.url !== '/metrics') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(`# TYPE sluice_infra_test_probe gauge\nsluice_infra_test_probe{run="${run}"} 1\n`);
    });
    const listening = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (listening) return { server, app, port };
  }
  throw new Error(
    'every APPS HTTP port is in use: stop the apps (or move their ports) and run the test again',
  );
}

test("Prometheus scrapes an app's /metrics and reports its target up", async (t) => {
  const run = randomUUID();
  const { server, app, port } = await listenAsAnApp(run);
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const prometheus = serviceUrl('prometheus');

  const deadline = Date.now() + 30_000;
  let target: Target | undefined;
  let sample: unknown;
  while (Date.now() < deadline) {
    const targets = (await (await fetch(`${prometheus}/api/v1/targets?state=active`)).json()) as {
      data: { activeTargets: Target[] };
    };
    target = targets.data.activeTargets.find((candidate) => candidate.labels.app === app);
    const query = encodeURIComponent(`sluice_infra_test_probe{run="${run}"}`);
    const result = (await (await fetch(`${prometheus}/api/v1/query?query=${query}`)).json()) as {
      data: { result: unknown[] };
    };
    sample = result.data.result[0];
    if (target?.health === 'up' && sample !== undefined) break;
    await sleep(500);
  }
  assert.ok(target !== undefined, `Prometheus has no target labelled app="${app}"`);
  assert.equal(target.scrapeUrl, `http://127.0.0.1:${port}/metrics`);
  assert.equal(target.health, 'up', `target ${target.scrapeUrl} is ${target.health} after 30 s`);
  assert.ok(sample !== undefined, 'the scraped sample never reached the query API');
});

test('the local Prometheus loads every one of Sluice’s alerting rules', async () => {
  const body = (await (await fetch(`${serviceUrl('prometheus')}/api/v1/rules?type=alert`)).json()) as {
    data: { groups: { rules: { name: string }[] }[] };
  };
  const loaded = body.data.groups.flatMap((g) => g.rules.map((r) => r.name));
  const written = [...readFileSync(ALERT_RULES, 'utf8').matchAll(/^\s+- alert: (\w+)$/gm)].map((m) => m[1]);
  assert.deepEqual(loaded.sort(), written.sort());
});

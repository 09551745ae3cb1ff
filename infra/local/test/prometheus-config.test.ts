import assert from 'node:assert/strict';
import { test } from 'node:test';
import { APPS, type AppName } from '@sluice/config';
import { prometheusConfig } from '../src/services/prometheus.ts';

test('the generated Prometheus configuration scrapes every app, following moved ports', () => {
  const config = prometheusConfig({ host: '127.0.0.1', env: { [APPS.assembler.httpPortEnv]: '28083' } });
  for (const app of Object.keys(APPS) as AppName[]) {
    const port = app === 'assembler' ? 28083 : APPS[app].httpPort;
    assert.match(
      config,
      new RegExp(`targets: \\['127\\.0\\.0\\.1:${port}'\\]\\n\\s+labels: \\{ app: '${app}' \\}`),
    );
  }
  assert.match(config, /scrape_interval: 2s/);
});

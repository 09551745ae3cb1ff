import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '@sluice/logging';
import { createMetricsRegistry } from '@sluice/http';
import { buildApp } from '../src/app.ts';

describe('projector app', () => {
  it('answers /healthz and exposes its process metrics', async (t) => {
    const app = buildApp({
      logger: createLogger({ service: 'projector', level: 'silent' }),
      registry: createMetricsRegistry('projector'),
    });
    t.after(() => app.http.close());
    assert.equal((await app.http.inject('/healthz')).statusCode, 200);
    const metrics = await app.http.inject('/metrics');
    assert.match(metrics.body, /^sluice_process_cpu_seconds_total\{app="projector"\} /m);
  });
});

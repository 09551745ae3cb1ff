import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NotFoundError } from '@sluice/errors';
import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { buildHttpServer } from '../src/index.ts';

const logger = pino({ level: 'silent' });

describe('http server', () => {
  it('answers /healthz and exposes the registry on /metrics', async (t) => {
    const registry = new Registry();
    new Counter({ name: 'sluice_test_total', help: 'a test counter', registers: [registry] }).inc(3);
    const app = buildHttpServer({ logger, registry });
    t.after(() => app.close());
    const health = await app.inject('/healthz');
    assert.equal(health.statusCode, 200);
    assert.deepEqual(health.json(), { status: 'ok' });
    const metrics = await app.inject('/metrics');
    assert.equal(metrics.statusCode, 200);
    assert.match(metrics.body, /^sluice_test_total 3$/m);
  });

  it('reports each readiness check and answers 503 when one fails', async (t) => {
    const app = buildHttpServer({
      logger,
      registry: new Registry(),
      readiness: [
        { name: 'redis', probe: () => Promise.resolve() },
        { name: 'kafka', probe: () => Promise.reject(new Error('connection refused')) },
      ],
    });
    t.after(() => app.close());
    const res = await app.inject('/readyz');
    assert.equal(res.statusCode, 503);
    assert.deepEqual(res.json(), {
      status: 'not ready',
      checks: [
        { name: 'redis', ok: true },
        { name: 'kafka', ok: false, error: 'connection refused' },
      ],
    });
  });

  it('maps Sluice errors to their catalogue status and unknown errors to 500', async (t) => {
    const app = buildHttpServer({ logger, registry: new Registry() });
    app.get('/missing', () => {
      throw new NotFoundError('UPLOAD_NOT_FOUND', 'upload u1 does not exist for this tenant');
    });
    app.get('/boom', () => {
      throw new Error('kaput');
    });
    t.after(() => app.close());
    const missing = await app.inject('/missing');
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json<{ code: string }>().code, 'UPLOAD_NOT_FOUND');
    const boom = await app.inject('/boom');
    assert.equal(boom.statusCode, 500);
    assert.equal(boom.json<{ code: string }>().code, 'INTERNAL');
    const none = await app.inject('/nope');
    assert.equal(none.statusCode, 404);
    assert.equal(none.json<{ code: string }>().code, 'ROUTE_NOT_FOUND');
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SERVICES } from '@sluice/config';
import { freePort } from '@sluice/testing';
import { DRIVERS, ensureUp } from '../src/orchestrator.ts';

test('the registry starts only after the Kafka it keeps its schemas in', () => {
  assert.deepEqual(DRIVERS.apicurio.needs, ['kafka']);
});

test('a service whose dependency is not running is not started, and the error says what to run', async () => {
  // Kafka looked for where nothing listens; apicurio alone is asked for.
  const env = { ...process.env, [SERVICES.kafka.portEnv]: String(await freePort()) };
  await assert.rejects(ensureUp({ services: ['apicurio'], env, say: () => undefined }), (err: Error) => {
    assert.match(
      err.message,
      /apicurio needs kafka \(.*\), which is not running: start both with `npm run infra -- up kafka apicurio`/,
    );
    return true;
  });
});

import assert from 'node:assert/strict';
import { it } from 'node:test';
import { tracingSettings } from '../src/index.ts';

it('is off unless an OTLP endpoint is set, and off again when the SDK is disabled', () => {
  const main = '/srv/sluice/apps/part-writer/src/main.ts';
  assert.equal(tracingSettings({}, main).enabled, false);
  assert.equal(tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }, main).enabled, true);
  assert.equal(
    tracingSettings({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://j:4318/v1/traces' }, main).enabled,
    true,
  );
  assert.equal(
    tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318', OTEL_SDK_DISABLED: 'TRUE' }, main)
      .enabled,
    false,
  );
});

it("names the service after OTEL_SERVICE_NAME, or the app's folder", () => {
  assert.equal(tracingSettings({}, '/srv/sluice/apps/part-writer/src/main.ts').serviceName, 'part-writer');
  assert.equal(tracingSettings({}, '/srv/sluice/apps/assembler/dist/main.js').serviceName, 'assembler');
  assert.equal(
    tracingSettings({ OTEL_SERVICE_NAME: 'intake' }, '/x/apps/ingest-api/src/main.ts').serviceName,
    'intake',
  );
  assert.equal(tracingSettings({}, '/home/u/tool.ts').serviceName, 'tool');
});

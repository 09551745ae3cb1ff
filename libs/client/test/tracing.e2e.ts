/**
 * One upload, one trace (`npm run test:tracing`, README.md "Tracing"): the four apps run as
 * processes sending their spans to the local Jaeger, and a client uploads a file inside a trace
 * of its own. Jaeger's query API must then hold that one trace with spans from every app: the
 * chunk stages in ingest-api, the parts the part-writer stored, the assembler's Complete and the
 * projector's writes, along with the spans of the instrumented gRPC, Redis, S3 and MySQL clients.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppName } from '@sluice/config';
import { carryTraceContext, contextOf, inContext } from '@sluice/telemetry';
import { jaegerOtlpUrl, requireServices, serviceUrl, startPipeline } from '@sluice/testing';
import { SluiceClient, upload, UploadStatus } from '../src/index.ts';

const MiB = 1024 * 1024;

interface JaegerTrace {
  readonly spans: ReadonlyArray<{ readonly operationName: string; readonly processID: string }>;
  readonly processes: Readonly<Record<string, { readonly serviceName: string }>>;
}

/** The trace as Jaeger holds it, once it has `done` (spans arrive in batches from four processes). */
async function trace(traceId: string, done: (t: JaegerTrace) => boolean): Promise<JaegerTrace> {
  const deadline = Date.now() + 60_000;
  let last: JaegerTrace | undefined;
  for (;;) {
    const response = await fetch(`${serviceUrl('jaeger')}/api/traces/${traceId}`);
    if (response.ok) {
      last = ((await response.json()) as { data: JaegerTrace[] }).data[0];
      if (last && done(last)) return last;
    } else await response.body?.cancel();
    if (Date.now() > deadline) return last ?? { spans: [], processes: {} };
    await sleep(500);
  }
}

const APPS: readonly AppName[] = ['ingest-api', 'part-writer', 'assembler', 'projector'];

it('follows one upload through all four apps in one trace in Jaeger', { timeout: 300_000 }, async (t) => {
  await requireServices(['redis', 'kafka', 'apicurio', 's3', 'mysql', 'jaeger']);
  // Each app sends its spans to Jaeger within a fraction of a second.
  const tracing = (app: AppName) => ({
    OTEL_EXPORTER_OTLP_ENDPOINT: jaegerOtlpUrl(),
    OTEL_SERVICE_NAME: app,
    OTEL_BSP_SCHEDULE_DELAY: '200',
  });
  const pipeline = await startPipeline(t, {
    env: Object.fromEntries(APPS.map((app) => [app, tracing(app)])),
  });
  const client = new SluiceClient({ server: pipeline.grpcAddress, apiKey: pipeline.apiKey });
  t.after(() => client.close());

  // The client's own trace: every call of the upload carries it, and the upload's trace continues it.
  carryTraceContext();
  const traceId = randomBytes(16).toString('hex');
  const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
  const result = await inContext(contextOf({ traceparent }), () =>
    upload(client, randomBytes(12 * MiB), { drive: pipeline.drive, chunkSize: 4 * MiB, wait: true }),
  );
  assert.equal(result.status, UploadStatus.UPLOAD_STATUS_COMPLETED);

  const names = (t: JaegerTrace, service: string): string[] =>
    t.spans.filter((s) => t.processes[s.processID]?.serviceName === service).map((s) => s.operationName);
  const expected: Record<AppName, RegExp[]> = {
    'ingest-api': [
      /^stage chunk 0$/,
      /^stage chunk 1$/,
      /^stage chunk 2$/,
      /^seal upload$/,
      /IntakeService\/UploadChunk/,
    ],
    'part-writer': [
      /^store part 1$/,
      /^store part 2$/,
      /^store part 3$/,
      /^read staged bytes$/,
      /UploadPart/,
      /process$/,
    ],
    assembler: [/^complete upload$/, /CompleteMultipartUpload/, /process$/],
    projector: [/project$/],
  };
  const missing = (found: JaegerTrace): string[] =>
    APPS.flatMap((app) =>
      expected[app].filter((p) => !names(found, app).some((n) => p.test(n))).map((p) => `${app} ${p}`),
    );
  const found = await trace(traceId, (candidate) => missing(candidate).length === 0);
  const services = new Set(Object.values(found.processes).map((p) => p.serviceName));
  assert.deepEqual(
    missing(found),
    [],
    `trace ${traceId} lacks spans; it has ${found.spans.length} from ${[...services].join(', ')}:\n` +
      APPS.map((app) => `  ${app}: ${[...new Set(names(found, app))].sort().join(', ')}`).join('\n'),
  );
  for (const app of APPS) assert.ok(services.has(app), `spans from ${app}`);

  // An operator who has only the upload id finds the trace by its tag (README.md "Tracing").
  const tags = encodeURIComponent(JSON.stringify({ 'sluice.upload_id': result.uploadId }));
  const search = await fetch(`${serviceUrl('jaeger')}/api/traces?service=ingest-api&tags=${tags}&limit=5`);
  const byTag = ((await search.json()) as { data: Array<{ traceID: string }> }).data.map((d) => d.traceID);
  assert.deepEqual(byTag, [traceId], 'the upload id finds its one trace');
});

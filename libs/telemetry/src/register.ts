/**
 * Starts tracing before an app loads its modules, when it is configured (`settings.ts`). An
 * app's `main.ts` imports this first and then the app itself with a dynamic import, so the
 * module hook and the instrumentations are in place before grpc-js, ioredis, mysql2 or the AWS
 * SDK are loaded:
 *
 *   import '@sluice/telemetry/register';
 *   await import('./run.ts');
 *
 * With tracing off, nothing records spans, but the trace context is still carried through async
 * work, so each upload's events share its trace id.
 */
import { register } from 'node:module';
import { createAddHookMessageChannel } from 'import-in-the-middle';
import { tracingSettings } from './settings.ts';
import { carryTraceContext } from './trace.ts';

const settings = tracingSettings(process.env, process.argv[1]);
if (settings.enabled) {
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);
  const { instrumentClients } = await import('./instrument.ts');
  instrumentClients();
  await waitForAllMessagesAcknowledged();
  const { startTracing } = await import('./sdk.ts');
  startTracing(settings);
} else {
  carryTraceContext();
}

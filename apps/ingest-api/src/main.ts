/**
 * The entry point. Tracing starts first, when it is configured, so its module hook is in place
 * before the app loads the clients it instruments; then the app runs.
 */
import '@sluice/telemetry/register';

await import('./run.ts');

/**
 * When and how tracing starts, from the standard OpenTelemetry variables. Tracing is off by
 * default: it starts when an OTLP endpoint is set (`OTEL_EXPORTER_OTLP_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) and `OTEL_SDK_DISABLED` is not `true`. Everything else
 * (sampler, batch delays, headers, resource attributes) is the SDK's own reading of `OTEL_*`.
 */
import { basename, dirname } from 'node:path';

export interface TracingSettings {
  readonly enabled: boolean;
  /** `OTEL_SERVICE_NAME`, or the app's folder name (`ingest-api`, `part-writer`, …). */
  readonly serviceName: string;
}

export function tracingSettings(env: NodeJS.ProcessEnv, entry: string | undefined): TracingSettings {
  const endpoint = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] || env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  const disabled = (env['OTEL_SDK_DISABLED'] ?? '').trim().toLowerCase() === 'true';
  return {
    enabled: Boolean(endpoint) && !disabled,
    serviceName: env['OTEL_SERVICE_NAME'] || appName(entry),
  };
}

/** `apps/<name>/src/main.ts` (or `dist/main.js`) → `<name>`; otherwise the script's name. */
function appName(entry: string | undefined): string {
  if (!entry) return 'sluice';
  const dir = dirname(entry);
  const app = basename(dirname(dir));
  return ['src', 'dist'].includes(basename(dir)) && app ? app : basename(entry).replace(/\.[cm]?[jt]s$/, '');
}

/**
 * The OpenTelemetry Node SDK, configured by the standard `OTEL_*` variables: the exporter
 * (`OTEL_TRACES_EXPORTER`, OTLP over HTTP/protobuf by default), where it sends
 * (`OTEL_EXPORTER_OTLP_ENDPOINT`), the sampler (`OTEL_TRACES_SAMPLER`, parent-based always-on
 * by default), batching (`OTEL_BSP_*`) and resource attributes. Sluice's metrics stay on
 * Prometheus and its logs on standard output, so metrics and logs export is off unless asked
 * for with `OTEL_METRICS_EXPORTER` / `OTEL_LOGS_EXPORTER`.
 */
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { TracingSettings } from './settings.ts';
import { noteRecording } from './trace.ts';

export function startTracing(settings: TracingSettings): NodeSDK {
  process.env['OTEL_METRICS_EXPORTER'] ??= 'none';
  process.env['OTEL_LOGS_EXPORTER'] ??= 'none';
  const sdk = new NodeSDK({ serviceName: settings.serviceName, instrumentations: [] });
  sdk.start();
  noteRecording();
  return sdk;
}

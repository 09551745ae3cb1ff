export {
  activeContext,
  carryTraceContext,
  contextOf,
  failSpan,
  flushTracing,
  inContext,
  inSpan,
  linksToActive,
  logCorrelation,
  noteRecording,
  SpanKind,
  spansRecorded,
  startSpan,
  traceHeadersOf,
  TRACER_NAME,
  withSpan,
} from './trace.ts';
export type { Context, InSpanOptions, Span, TraceHeaders } from './trace.ts';
export { tracingSettings } from './settings.ts';
export type { TracingSettings } from './settings.ts';

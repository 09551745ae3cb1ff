/**
 * Exported as `@sluice/telemetry/testing`, for tests only: records every span of the process in
 * memory, with the context manager and propagator the SDK installs, so a test can follow a
 * trace across Kafka without a collector.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace';
import { noteRecording } from '../src/trace.ts';

export type { ReadableSpan } from '@opentelemetry/sdk-trace';

/** Installs an in-memory tracer for the whole process; returns what it has recorded so far. */
export function recordSpans(): { spans: () => ReadableSpan[]; reset: () => void } {
  const exporter = new InMemorySpanExporter();
  trace.setGlobalTracerProvider(
    new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }),
  );
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  noteRecording();
  return { spans: () => exporter.getFinishedSpans(), reset: () => exporter.reset() };
}

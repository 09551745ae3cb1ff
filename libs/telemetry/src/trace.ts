/**
 * Tracing helpers on the OpenTelemetry API. Without a started SDK (`register.ts`) spans record
 * nothing, but a parent context still flows ({@link carryTraceContext}): a span started under a
 * W3C traceparent carries that trace id on, so events keep their upload's trace whether or not
 * Sluice records spans.
 */
import {
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  isSpanContextValid,
  ROOT_CONTEXT,
  SpanStatusCode,
  trace,
  type Context,
  type Link,
  type Span,
  type SpanOptions,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

export { SpanKind } from '@opentelemetry/api';
export type { Context, Span } from '@opentelemetry/api';

/** The instrumentation scope of every span Sluice starts itself. */
export const TRACER_NAME = 'sluice';

const w3c = new W3CTraceContextPropagator();

/** W3C trace context as carried in headers: `traceparent`, and `tracestate` when there is one. */
export interface TraceHeaders {
  readonly traceparent: string;
  readonly tracestate?: string | undefined;
}

/** The context a W3C traceparent names, on top of `base`; `base` itself when it is not valid. */
export function contextOf(headers: Partial<TraceHeaders> | undefined, base: Context = ROOT_CONTEXT): Context {
  if (!headers?.traceparent) return base;
  const carrier: Record<string, string> = { traceparent: headers.traceparent };
  if (headers.tracestate) carrier['tracestate'] = headers.tracestate;
  return w3c.extract(base, carrier, defaultTextMapGetter);
}

/** The trace context of `ctx` (the active one by default) as headers; undefined when it has none. */
export function traceHeadersOf(ctx: Context = context.active()): TraceHeaders | undefined {
  const spanContext = trace.getSpanContext(ctx);
  if (!spanContext || !isSpanContextValid(spanContext)) return undefined;
  const carrier: Record<string, string> = {};
  w3c.inject(ctx, carrier, defaultTextMapSetter);
  const traceparent = carrier['traceparent'];
  return traceparent ? { traceparent, tracestate: carrier['tracestate'] } : undefined;
}

/** Fields naming the active span, for a log line: none when there is no span. */
export function logCorrelation(): { trace_id?: string; span_id?: string } {
  const spanContext = trace.getSpanContext(context.active());
  if (!spanContext || !isSpanContextValid(spanContext)) return {};
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

/**
 * With tracing off, still carries the active trace context through async work (the API alone
 * forgets it at once), so an upload's trace id runs on through its events when nothing records
 * spans. The SDK installs the same when tracing is on.
 */
export function carryTraceContext(): void {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

let recording = false;

/** Notes that spans are being recorded (the SDK started, or a test's recorder). */
export function noteRecording(): void {
  recording = true;
}

/**
 * Whether spans are recorded at all: work that only makes spans (not trace context that events
 * carry on) can skip itself when they are not.
 */
export function spansRecorded(): boolean {
  return recording;
}

/** Options of {@link inSpan}. */
export interface InSpanOptions extends SpanOptions {
  /** The span's parent. @default the active context */
  readonly parent?: Context;
}

/**
 * Runs `fn` inside a new span, made active for everything `fn` starts, and ends the span with
 * `fn`'s outcome: a failure is recorded on it with its message.
 */
export function inSpan<T>(name: string, options: InSpanOptions, fn: (span: Span) => Promise<T>): Promise<T> {
  const { parent = context.active(), ...spanOptions } = options;
  return trace.getTracer(TRACER_NAME).startActiveSpan(name, spanOptions, parent, async (span) => {
    try {
      return await fn(span);
    } catch (err) {
      failSpan(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Starts a span the caller ends (work whose end is not one function's return). */
export function startSpan(name: string, options: InSpanOptions = {}): Span {
  const { parent = context.active(), ...spanOptions } = options;
  return trace.getTracer(TRACER_NAME).startSpan(name, spanOptions, parent);
}

/** Runs `fn` with `ctx` as the active context. */
export function inContext<T>(ctx: Context, fn: () => T): T {
  return context.with(ctx, fn);
}

/** The active context. */
export function activeContext(): Context {
  return context.active();
}

/** A link to the active span, for a span whose parent is another trace; none without one. */
export function linksToActive(): Link[] {
  const spanContext = trace.getSpanContext(context.active());
  return spanContext && isSpanContextValid(spanContext) ? [{ context: spanContext }] : [];
}

/** Runs `fn` with `span` active. */
export function withSpan<T>(span: Span, fn: () => T): T {
  return context.with(trace.setSpan(context.active(), span), fn);
}

/** Marks a span failed with the error's message. */
export function failSpan(span: Span, err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
}

/**
 * Sends every span recorded so far, if tracing was started; apps call it on their way out so
 * the spans of their last seconds are not lost.
 */
export async function flushTracing(): Promise<void> {
  const provider = trace.getTracerProvider() as { getDelegate?: () => unknown };
  const delegate = (provider.getDelegate?.() ?? provider) as { forceFlush?: () => Promise<void> };
  await delegate.forceFlush?.().catch(() => undefined);
}

/**
 * One trace per upload. InitiateUpload starts it (under the caller's trace when the call carries
 * one) and the upload keeps its traceparent; every later call on the upload (a chunk, the seal,
 * an abort) works in a span of that trace, linked to the call's own span, so the events it
 * produces, and the consumers' work on them, all continue the one trace. With tracing off the
 * spans record nothing, but the trace id still runs through every event of the upload.
 */
import type { Metadata } from '@grpc/grpc-js';
import { newTraceparent } from '@sluice/kafka';
import { GRPC_METADATA } from '@sluice/proto';
import type { UploadMeta } from '@sluice/staging';
import {
  activeContext,
  contextOf,
  inContext,
  inSpan,
  linksToActive,
  startSpan,
  traceHeadersOf,
  type Context,
  type Span,
} from '@sluice/telemetry';

/**
 * The context a call runs in: the server span of the gRPC instrumentation when tracing is on,
 * otherwise the W3C trace context the caller sent in its metadata, if any.
 */
export function callContext(metadata: Metadata): Context {
  if (traceHeadersOf() !== undefined) return activeContext();
  const [traceparent] = metadata.get(GRPC_METADATA.traceparent);
  const [tracestate] = metadata.get(GRPC_METADATA.tracestate);
  return contextOf({
    traceparent: typeof traceparent === 'string' ? traceparent : undefined,
    tracestate: typeof tracestate === 'string' ? tracestate : undefined,
  });
}

/** Runs `fn` in the call's context ({@link callContext}). */
export function inCall<T>(metadata: Metadata, fn: () => T): T {
  return inContext(callContext(metadata), fn);
}

/** The traceparent a new upload keeps: the active span's, or a new trace's. */
export function newUploadTraceparent(): string {
  return traceHeadersOf()?.traceparent ?? newTraceparent();
}

function uploadSpanOptions(meta: Pick<UploadMeta, 'uploadId' | 'traceparent'>, attributes = {}) {
  return {
    parent: meta.traceparent ? contextOf({ traceparent: meta.traceparent }) : activeContext(),
    links: linksToActive(),
    attributes: { 'sluice.upload_id': meta.uploadId, ...attributes },
  };
}

/** Runs `fn` in a span of the upload's trace, linked to the call's span. */
export function inUploadTrace<T>(
  meta: Pick<UploadMeta, 'uploadId' | 'traceparent'>,
  name: string,
  fn: (span: Span) => Promise<T>,
): Promise<T> {
  return inSpan(name, uploadSpanOptions(meta), fn);
}

/** A span of the upload's trace that the caller ends (a chunk, whose bytes arrive over time). */
export function startUploadSpan(
  meta: Pick<UploadMeta, 'uploadId' | 'traceparent'>,
  name: string,
  attributes: Record<string, string | number | boolean> = {},
): Span {
  return startSpan(name, uploadSpanOptions(meta, attributes));
}

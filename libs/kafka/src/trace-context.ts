/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) as Kafka record headers: `traceparent`
 * (`00-<trace-id>-<parent-id>-<flags>`) and, when the caller has one, `tracestate`. Sluice has
 * no tracer of its own; it passes a caller's context through unchanged and starts a new trace
 * when there is none, so every event can be followed from ingest to the downstream engine.
 */
import { randomBytes } from 'node:crypto';
import { contextOf, type Context } from '@sluice/telemetry';

/** Header names, as every W3C-aware Kafka instrumentation reads them. */
export const TRACEPARENT_HEADER = 'traceparent';
export const TRACESTATE_HEADER = 'tracestate';

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-[^\s]*)?$/;
const ALL_ZERO = /^0+$/;

/** The fields of a valid traceparent. */
export interface TraceParent {
  readonly version: string;
  readonly traceId: string;
  readonly parentId: string;
  readonly flags: string;
}

/** Parses a traceparent header value; `undefined` when it is not valid W3C Trace Context. */
export function parseTraceparent(value: string): TraceParent | undefined {
  const match = TRACEPARENT.exec(value);
  if (match === null) return undefined;
  const [, version, traceId, parentId, flags, rest] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string?,
  ];
  if (version === 'ff' || ALL_ZERO.test(traceId) || ALL_ZERO.test(parentId)) return undefined;
  // Version 00 has exactly four fields; later versions may append more.
  if (version === '00' && rest !== undefined) return undefined;
  return { version, traceId, parentId, flags };
}

// Random ids come from a pool refilled 1,024 ids at a time: one randomBytes call per event
// costs more than the rest of the trace context together.
const ID_BYTES = 24;
const POOL_IDS = 1024;
let pool = Buffer.alloc(0);
let poolAt = 0;

/** A traceparent starting a new trace: random trace and parent ids, sampled flag set. */
export function newTraceparent(): string {
  if (poolAt + ID_BYTES > pool.length) {
    pool = randomBytes(ID_BYTES * POOL_IDS);
    poolAt = 0;
  }
  const at = poolAt;
  poolAt += ID_BYTES;
  return `00-${pool.toString('hex', at, at + 16)}-${pool.toString('hex', at + 16, at + ID_BYTES)}-01`;
}

/**
 * The trace context a record's producer put in its headers (W3C `traceparent` and `tracestate`),
 * for the span that handles the record; the root context when it has none.
 */
export function recordTraceContext(
  headers: ReadonlyMap<Buffer, Buffer | undefined> | Iterable<[Buffer, Buffer | undefined]>,
): Context {
  let traceparent: string | undefined;
  let tracestate: string | undefined;
  for (const [name, value] of headers) {
    // Kafka allows a header without a value; the client hands it on as undefined.
    if (!value) continue;
    const key = name.toString('utf8');
    if (key === TRACEPARENT_HEADER) traceparent = value.toString('utf8');
    else if (key === TRACESTATE_HEADER) tracestate = value.toString('utf8');
  }
  return contextOf({ traceparent, tracestate });
}

/** The OpenTelemetry messaging attributes of a consumer span handling one record. */
export function recordSpanAttributes(record: {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}): Record<string, string | number> {
  return {
    'messaging.system': 'kafka',
    'messaging.operation.type': 'process',
    'messaging.destination.name': record.topic,
    'messaging.destination.partition.id': String(record.partition),
    'messaging.kafka.offset': Number(record.offset),
  };
}

/**
 * The proto3 JSON form (https://protobuf.dev/programming-guides/json/) of a ts-proto envelope,
 * as Java's `JsonFormat.printer()` prints it with default options: lowerCamelCase names, fields
 * at their default value left out (except fields with presence), 64-bit integers as strings,
 * bytes as base64, enums by name, Timestamps as RFC 3339 with 0, 3, 6 or 9 fraction digits,
 * a oneof as its set member. Enough for Sluice's three envelopes; a test compares what Java
 * decoded against this, field by field.
 */
import { ChunkEvent_ChecksumMode, ChunkEvent_PartSizeKind } from '@sluice/proto';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** Fields whose proto declares an enum type, with its value → name table. */
const ENUM_FIELDS: Record<string, Record<number, string>> = {
  checksumMode: invert(ChunkEvent_ChecksumMode),
  kind: invert(ChunkEvent_PartSizeKind),
};
/** Fields declared `optional` (explicit presence): printed even at their default. */
const PRESENCE_FIELDS = new Set(['byteOffset']);
/** Fields declared `map<string, string>`. */
const MAP_FIELDS = new Set(['metadata']);

export function toProto3Json(message: object): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  for (const [name, value] of Object.entries(message)) {
    if (value === undefined) continue;
    if (name === 'event') {
      const oneof = value as { $case: string; value: object };
      out[oneof.$case] = toProto3Json(oneof.value);
      continue;
    }
    const json = fieldJson(name, value);
    if (json !== undefined) out[name] = json;
  }
  return out;
}

function fieldJson(name: string, value: unknown): Json | undefined {
  const presence = PRESENCE_FIELDS.has(name);
  if (value instanceof Date) return timestamp(value);
  if (Buffer.isBuffer(value)) return value.length === 0 && !presence ? undefined : value.toString('base64');
  if (typeof value === 'bigint') return value === 0n && !presence ? undefined : value.toString();
  if (typeof value === 'string') return value === '' && !presence ? undefined : value;
  if (typeof value === 'boolean') return !value && !presence ? undefined : value;
  if (typeof value === 'number') {
    if (value === 0 && !presence) return undefined;
    const names = ENUM_FIELDS[name];
    return names === undefined ? value : (names[value] ?? value);
  }
  if (MAP_FIELDS.has(name)) {
    const entries = Object.entries(value as Record<string, string>);
    return entries.length === 0 ? undefined : Object.fromEntries(entries);
  }
  if (typeof value === 'object' && value !== null) return toProto3Json(value);
  throw new Error(`no proto3 JSON rule for field ${name} = ${String(value)}`);
}

function timestamp(date: Date): string {
  // JS dates carry milliseconds: JsonFormat prints no fraction for whole seconds, else 3 digits.
  return date.toISOString().replace('.000Z', 'Z');
}

function invert(values: Record<string, number>): Record<number, string> {
  return Object.fromEntries(Object.entries(values).map(([name, value]) => [value, name]));
}

import { setFlagsFromString } from 'node:v8';

/** The V8 flag, first measured on V8 13.6 (Node 24). */
const FLAG = '--external-memory-accounted-in-global-limit';
const FIRST_V8_MAJOR = 13;

/**
 * Has V8 count memory held by Buffers (outside the JS heap) toward its ordinary heap limits,
 * instead of starting a full mark-compact each time that memory grows by a few dozen MiB.
 *
 * By default, a process that receives messages of many MiB runs about one full collection per
 * message, and each one marks the whole heap. On ingest-api receiving 16 MiB chunks, 8 in
 * flight, this cut the CPU per chunk from ~80 ms to ~50 ms. The price is peak RSS: dead buffers
 * wait longer for the collector (ingest's peak went from ~330 MiB to ~460 MiB in that run).
 *
 * Call it first thing in a process that moves large buffers. A no-op on V8 older than 13,
 * which may not know the flag.
 * @returns whether the setting was applied
 */
export function countBuffersInHeapLimits(v8Version: string = process.versions.v8): boolean {
  const major = Number.parseInt(v8Version, 10);
  if (!(major >= FIRST_V8_MAJOR)) return false;
  setFlagsFromString(FLAG);
  return true;
}

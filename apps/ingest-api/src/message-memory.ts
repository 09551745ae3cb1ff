/** Below this a request's bytes may share their memory with others (a socket read is 64 KiB). */
const OWN_MEMORY_FROM = 1024 * 1024;
/** What else a chunk request's memory may hold besides `data`: its other fields. */
const FIELDS_AT_MOST = 64 * 1024;

/**
 * Gives the memory of a request's chunk back now instead of at the next full collection, once
 * nothing will read it again: the socket writes of its segments have been answered by Redis and
 * its checksums are taken.
 *
 * grpc-js joins each large message's frames into a buffer of its own, and `data` is a view on it
 * with the other fields beside it. Left to the collector, ingest keeps every chunk it received
 * since the last full collection, and those collections come every few chunks. The buffer is
 * detached (`ArrayBuffer.prototype.transfer(0)`): its memory is freed, and any view still on
 * it reads as empty, never as other bytes. A view on memory it may share (smaller than
 * 1 MiB, or a small part of a bigger buffer, or shared memory) is left alone.
 * @returns whether the memory was freed
 */
export function freeRequestBytes(data: Uint8Array): boolean {
  const memory = data.buffer;
  if (!(memory instanceof ArrayBuffer) || memory.detached) return false;
  if (data.byteLength < OWN_MEMORY_FROM || memory.byteLength - data.byteLength > FIELDS_AT_MOST) return false;
  memory.transfer(0);
  return true;
}

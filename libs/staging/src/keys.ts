/**
 * Redis layout of staged uploads. Every key of one upload carries the hash tag
 * `{<upload_id>}`, so on Redis Cluster they share a slot and one Lua script can touch
 * them all.
 *
 *   sluice:{U}:meta                 HASH   the upload: tenant, drive, node, status, counters
 *   sluice:{U}:chunks               HASH   chunk number → JSON ChunkRecord, once fully staged
 *   sluice:{U}:c:<n>:<write>:<i>    STRING segment i (≤ 1 MiB) of chunk n as written by `write`
 *   sluice:{U}:pw, sluice:{U}:asm   HASH   the part-writer's and the assembler's state
 *   sluice:req:{<tenant>}:<id>      STRING upload id created for a client request id
 *
 * A chunk's bytes are written under a fresh write id before its record names them, so
 * a crash mid-write leaves only unreferenced segments (which expire), and a forced
 * replacement never overwrites bytes someone may be reading.
 */
export const SEGMENT_SIZE = 1024 * 1024;

/** The key names of one deployment; `namespace` separates deployments (and tests) sharing a Redis. */
export function stagingKeys(namespace = 'sluice') {
  return {
    meta: (uploadId: string): string => `${namespace}:{${uploadId}}:meta`,
    chunks: (uploadId: string): string => `${namespace}:{${uploadId}}:chunks`,
    segmentPrefix: (uploadId: string, chunk: number, writeId: string): string =>
      `${namespace}:{${uploadId}}:c:${chunk}:${writeId}`,
    segment: (prefix: string, index: number): string => `${prefix}:${index}`,
    /** Every key of the upload (a pattern, for inspection). */
    uploadPattern: (uploadId: string): string => `${namespace}:{${uploadId}}:*`,
    /** A consumer's own state of the upload, e.g. `pw` (part-writer) or `asm` (assembler). */
    state: (uploadId: string, owner: string): string => `${namespace}:{${uploadId}}:${owner}`,
    request: (tenant: string, clientRequestId: string): string =>
      `${namespace}:req:{${tenant}}:${clientRequestId}`,
  } as const;
}
export type StagingKeys = ReturnType<typeof stagingKeys>;

/** Number of segments a chunk of `size` bytes is staged as (a zero-byte chunk has none). */
export function segmentCount(size: number, segmentSize = SEGMENT_SIZE): number {
  return Math.ceil(size / segmentSize);
}

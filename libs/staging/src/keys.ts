/**
 * Every Redis key Sluice uses, and the one component that writes each. Nothing else builds a
 * key name: ingest, the part-writer and the assembler all take theirs from {@link stagingKeys}.
 *
 * Every key of one upload carries the hash tag `{<upload_id>}`, so on Redis Cluster they share
 * a slot and one Lua script can touch them all.
 *
 *   key                               type    writer (owner)        holds
 *   <ns>:{U}:meta                     HASH    staging (ingest)      the upload: tenant, drive, node, status, counters
 *   <ns>:{U}:chunks                   HASH    staging (ingest)      chunk number → JSON ChunkRecord, once fully staged
 *   <ns>:{U}:reserved                 HASH    staging (ingest)      write id → "bytes:lease end ms" of chunk writes
 *                                                                   admitted against the cap and not yet committed
 *   <ns>:{U}:c:<n>:<write>:<i>        STRING  staging (ingest)      segment i (≤ 1 MiB) of chunk n as written by `write`
 *   <ns>:{U}:pw                       HASH    part-writer           its state of the upload (part-state-store.ts)
 *   <ns>:{U}:asm                      HASH    assembler             its state of the upload (assembly-store.ts)
 *   <ns>:asm-outcome:{U}              HASH    assembler             the upload's one outcome; outlives the rest
 *   <ns>:req:{<tenant>}:<id>          STRING  staging (ingest)      upload id created for a client request id
 *   <ns>:tenant:{<tenant>}:open       ZSET    staging (ingest)      the tenant's open uploads → when opened (ms), for
 *                                                                   its maxOpenUploads; entries lapse with the staging TTL
 *   <ns>:tenant:{<tenant>}:rate       HASH    staging (ingest)      the tenant's chunk token bucket (tokens, at)
 *   <ns>:assembler:expiry-lease       STRING  assembler             which instance sweeps for idle uploads
 *
 * One writer per hash: a fact that crosses owners goes through the owner's methods (the
 * part-writer lowers ingest's staged-bytes counter with `RedisStaging.releaseChunk`; the
 * assembler reads the part-writer's multipart upload through `PartStateStore.multipart`).
 * The one exception is the end of an upload's life: the assembler, which decides that end,
 * deletes every key of the upload with `RedisStaging.deleteUpload`, which takes the list of
 * per-upload consumer hashes from {@link CONSUMER_STATE} here.
 *
 * A chunk's bytes are written under a fresh write id before its record names them, so a crash
 * mid-write leaves only unreferenced segments (which expire), and a forced replacement never
 * overwrites bytes someone may be reading.
 */
export const SEGMENT_SIZE = 1024 * 1024;

/** The consumers that keep a hash of their own per upload, and that hash's suffix. */
export const CONSUMER_STATE = Object.freeze({ partWriter: 'pw', assembler: 'asm' } as const);
export type ConsumerState = keyof typeof CONSUMER_STATE;

/** The key names of one deployment; `namespace` separates deployments (and tests) sharing a Redis. */
export function stagingKeys(namespace = 'sluice') {
  const upload = (uploadId: string): string => `${namespace}:{${uploadId}}`;
  const metaHead = `${namespace}:{`;
  const metaTail = '}:meta';
  return {
    namespace,
    meta: (uploadId: string): string => `${upload(uploadId)}:meta`,
    chunks: (uploadId: string): string => `${upload(uploadId)}:chunks`,
    /** Bytes reserved against the upload's staging cap by chunk writes in flight. */
    reservations: (uploadId: string): string => `${upload(uploadId)}:reserved`,
    segmentPrefix: (uploadId: string, chunk: number, writeId: string): string =>
      `${upload(uploadId)}:c:${chunk}:${writeId}`,
    segment: (prefix: string, index: number): string => `${prefix}:${index}`,
    /** Every key of the upload but its outcome (a pattern, for inspection). */
    uploadPattern: (uploadId: string): string => `${upload(uploadId)}:*`,
    /** Every upload's meta key (a SCAN pattern), and the upload id back from such a key. */
    metaPattern: (): string => `${escapeGlob(namespace)}:{*}:meta`,
    uploadIdOfMeta: (key: string): string | undefined =>
      key.startsWith(metaHead) && key.endsWith(metaTail)
        ? key.slice(metaHead.length, -metaTail.length)
        : undefined,
    /** A consumer's own hash of the upload. */
    consumerState: (uploadId: string, consumer: ConsumerState): string =>
      `${upload(uploadId)}:${CONSUMER_STATE[consumer]}`,
    /** The assembler's record of how the upload ended; outside `uploadPattern`, so it outlives the rest. */
    outcome: (uploadId: string): string => `${namespace}:asm-outcome:{${uploadId}}`,
    request: (tenant: string, clientRequestId: string): string =>
      `${namespace}:req:{${tenant}}:${clientRequestId}`,
    expiryLease: (): string => `${namespace}:assembler:expiry-lease`,
    /** The tenant's open uploads, for its limit on them. */
    openUploads: (tenant: string): string => `${namespace}:tenant:{${tenant}}:open`,
    /** The tenant's token bucket of chunk calls. */
    chunkRate: (tenant: string): string => `${namespace}:tenant:{${tenant}}:rate`,
  } as const;
}
export type StagingKeys = ReturnType<typeof stagingKeys>;

/** Where a chunk write's segments are (`StagingStore.segmentsOf`). */
export function segmentsOfRecord(
  keys: StagingKeys,
  uploadId: string,
  record: {
    readonly chunk: number;
    readonly writeId: string;
    readonly segmentSize: number;
    readonly segmentCount: number;
  },
): { readonly prefix: string; readonly segmentSize: number; readonly segmentCount: number } {
  return {
    prefix: keys.segmentPrefix(uploadId, record.chunk, record.writeId),
    segmentSize: record.segmentSize,
    segmentCount: record.segmentCount,
  };
}

/** Number of segments a chunk of `size` bytes is staged as (a zero-byte chunk has none). */
export function segmentCount(size: number, segmentSize = SEGMENT_SIZE): number {
  return Math.ceil(size / segmentSize);
}

/** One segment's share of a byte range: segment `index`, bytes [start, end) of it. */
export interface SegmentSlice {
  readonly index: number;
  readonly start: number;
  readonly end: number;
}

/** The segments holding bytes [offset, offset + length) of a chunk staged in `segmentSize` segments. */
export function segmentSlices(offset: number, length: number, segmentSize: number): SegmentSlice[] {
  if (length === 0) return [];
  const first = Math.floor(offset / segmentSize);
  const last = Math.floor((offset + length - 1) / segmentSize);
  const slices: SegmentSlice[] = [];
  for (let i = first; i <= last; i++) {
    slices.push({
      index: i,
      start: i === first ? offset - i * segmentSize : 0,
      end: i === last ? offset + length - i * segmentSize : segmentSize,
    });
  }
  return slices;
}

/** Escapes the characters SCAN's MATCH treats as a pattern. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

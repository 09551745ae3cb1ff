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
 *   <ns>:tenant:{<tenant>}:staged     HASH    staging (ingest)      the tenant's budget (maxStagedBytes): upload id →
 *                                                                   "bytes:seq", its uploads' staged-byte figures
 *   <ns>:tenant:{<tenant>}:reserved   HASH    staging (ingest)      the tenant's budget: write id → bytes reserved
 *   <ns>:tenant:{<tenant>}:lapse      ZSET    staging (ingest)      the tenant's budget: "u:<upload>" / "w:<write>" →
 *                                                                   when that entry lapses (ms, Redis TIME)
 *   <ns>:tenant:{<tenant>}:totals     HASH    staging (ingest)      the tenant's budget: sums (staged, reserved)
 *   <ns>:{budget}:staged|reserved|lapse|totals                      the global budget (SLUICE_INGEST_STAGED_BYTES_MAX),
 *                                     …       staging (ingest)      the same four keys under one fixed hash tag
 *   <ns>:live:{live-<h>}              ZSET    staging (ingest)      live-upload index: upload id → when created (ms), in
 *                                                                   16 shards by the id's first hex digit (their own slots);
 *                                                                   how expiry and the reconciler find uploads (below)
 *   <ns>:assembler:expiry-lease       STRING  assembler             which instance sweeps for idle uploads
 *
 * One writer per hash: a fact that crosses owners goes through the owner's methods (the
 * part-writer lowers ingest's staged-bytes counter with `RedisStaging.releaseChunk`; the
 * assembler reads the part-writer's multipart upload through `PartStateStore.multipart`).
 * The one exception is the end of an upload's life: the assembler, which decides that end,
 * deletes every key of the upload with `RedisStaging.deleteUpload`, which takes the list of
 * per-upload consumer hashes from {@link CONSUMER_STATE} here.
 *
 * Expiry and the reconciler find uploads through the live-upload index, not by SCAN: on Redis
 * Cluster a SCAN sees one node's keys only, and on any Redis it walks every segment key. An
 * upload enters the index before its meta is written and leaves it after its keys are deleted,
 * so a crash in between leaves an entry without an upload, never an upload without an entry;
 * `uploadIds()` prunes such entries once they are a minute old (an upload is written well within
 * that), and those of uploads whose keys Redis expired. Uploads staged before the index existed
 * are not in it: they end by their keys' TTL, without an UploadExpired event.
 *
 * A chunk's bytes are written under a fresh write id before its record names them, so a crash
 * mid-write leaves only unreferenced segments (which expire), and a forced replacement never
 * overwrites bytes someone may be reading.
 *
 * Staged-byte budgets (a tenant's `maxStagedBytes`, the global `SLUICE_INGEST_STAGED_BYTES_MAX`)
 * span many uploads, so they cannot live under an upload's hash tag: each budget has four keys
 * under a hash tag of its own ({@link BudgetKeys}), and every budget script touches one budget.
 * - A chunk write reserves its bytes on its upload (`reserved`), then on its tenant's budget, then
 *   on the global one, each check-and-reserve one script; a refusal drops what the earlier steps
 *   reserved. A budget reservation is leased on Redis TIME like the upload's, and lapses (is
 *   pruned through `lapse`) when the process that holds it dies.
 * - An upload's entry in a budget's `staged` is set, never added to: it holds the upload's own
 *   staged-byte figure with the sequence number the upload's meta gave it (`stagedSeq`, raised by
 *   every commit and release), and an update older than what the entry holds is ignored, so a
 *   repeated, replayed or overtaken update is harmless. `totals` follows every change in the same
 *   script, so a check is O(1). Ingest sets the figure after each commit; `releaseChunk` sets it
 *   after each release (the part-writer need not know budgets); `deleteUpload` turns the entry
 *   into a tombstone ("gone", 0 bytes) that no late update brings back, for
 *   {@link BUDGET_TOMBSTONE_MS}.
 * - Budgets are paid for only when configured: the reserve that admits a chunk marks, on the
 *   upload's meta, which budgets count the upload (`budget.tenant`, `budget.global`), and only
 *   marked uploads' releases and deletions touch budget keys; with no budget configured the chunk
 *   path makes the round trips it made without budgets. A budget switched on counts an upload
 *   from its next chunk (bytes it committed before are counted from that chunk's commit on); one
 *   switched off is no longer checked, and its keys expire once the uploads it counted are gone.
 * - An abort changes no figure: the bytes stay staged until the part-writer releases them
 *   (`releaseChunk`), and the upload leaves the budgets when the assembler deletes it. An expired
 *   upload leaves them the same way (the assembler's expiry deletes it).
 * - What a crash leaves: between an upload's commit and its budget update, the figure is stale
 *   (the write's reservation still holds the bytes until its lease ends) until the upload's next
 *   commit or release. An upload that vanishes without `deleteUpload` (its keys expired) leaves
 *   an entry that lapses with the staging TTL after its last update, as the upload's own keys did
 *   (independently of the tenant's open uploads, which only a tenant with maxOpenUploads keeps).
 *   All four keys of a budget expire together after a staging TTL without writes.
 * - Errs on the safe side only: when two commits of one upload reach a budget in the opposite
 *   order, the newer figure holds the older commit's bytes while that write's reservation does
 *   too, until its own update drops it. A budget never lets more through than its limit.
 */
export const SEGMENT_SIZE = 1024 * 1024;

/** How long a deleted upload's tombstone stays in a budget, refusing late updates. @default 1 h */
export const BUDGET_TOMBSTONE_MS = 3_600_000;

/** The four keys of one staged-byte budget, all under one hash tag (see the table above). */
export interface BudgetKeys {
  /** Upload id → "bytes:seq", the upload's staged-byte figure; "gone" once the upload is deleted. */
  readonly staged: string;
  /** Write id → bytes reserved by a chunk write in flight. */
  readonly reserved: string;
  /** "u:<upload id>" and "w:<write id>" → when the entry lapses (ms on Redis's clock). */
  readonly lapse: string;
  /** `staged` and `reserved`: the sums of the two hashes. */
  readonly totals: string;
}

/** A staged-byte budget: one tenant's (its `maxStagedBytes`), or the global one. */
export type Budget = { readonly kind: 'tenant'; readonly tenant: string } | { readonly kind: 'global' };

function budgetKeys(prefix: string): BudgetKeys {
  return {
    staged: `${prefix}:staged`,
    reserved: `${prefix}:reserved`,
    lapse: `${prefix}:lapse`,
    totals: `${prefix}:totals`,
  };
}

/** Shards of the live-upload index. */
export const LIVE_SHARDS = 16;

function liveShardOf(uploadId: string): number {
  const digit = Number.parseInt(uploadId.charAt(0), 16);
  return Number.isNaN(digit) ? 0 : digit;
}

function liveShardKey(namespace: string, shard: number): string {
  return `${namespace}:live:{live-${shard.toString(16)}}`;
}

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
    /** The live-upload index shard of `uploadId` (by its first hex digit; 0 for anything else). */
    liveUploads: (uploadId: string): string => liveShardKey(namespace, liveShardOf(uploadId)),
    /** Every shard of the live-upload index. */
    liveUploadShards: (): string[] =>
      Array.from({ length: LIVE_SHARDS }, (_, i) => liveShardKey(namespace, i)),
    /** The tenant's open uploads, for its limit on them. */
    openUploads: (tenant: string): string => `${namespace}:tenant:{${tenant}}:open`,
    /** The tenant's token bucket of chunk calls. */
    chunkRate: (tenant: string): string => `${namespace}:tenant:{${tenant}}:rate`,
    /** A staged-byte budget's keys: the tenant's under its hash tag, the global one under `{budget}`. */
    budget: (budget: Budget): BudgetKeys =>
      budgetKeys(
        budget.kind === 'tenant' ? `${namespace}:tenant:{${budget.tenant}}` : `${namespace}:{budget}`,
      ),
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

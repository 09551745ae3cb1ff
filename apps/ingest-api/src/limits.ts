import { formatBytes } from '@sluice/parts';
import type { Drive, TenantLimits } from '@sluice/tenants';

/** Limits ingest enforces; sent to clients in InitiateUploadResponse. */
export interface IngestLimits {
  /** Largest chunk one UploadChunk call may carry. @default 16 MiB */
  readonly maxUnaryChunkBytes: number;
  /** Largest chunk UploadChunkStream accepts. @default 5 GiB */
  readonly maxChunkBytes: number;
  /** Most bytes one upload may have staged and not yet stored. @default 12 GiB */
  readonly maxStagedBytesPerUpload: number;
  /**
   * Most bytes every upload together may have staged and not yet stored, with the bytes of
   * chunks on their way in (SLUICE_INGEST_STAGED_BYTES_MAX): the global budget. Undefined: none
   * beyond the Redis memory watermark. Uploads count from their next chunk once it is set.
   * @default undefined
   */
  readonly maxStagedBytesGlobal?: number;
  /** Highest chunk number accepted. @default 1,000,000 */
  readonly maxChunkNumber: number;
  /** Retry hint sent with RESOURCE_EXHAUSTED. @default 500 */
  readonly retryPushbackMs: number;
  /**
   * How long a chunk write's reservation against the staging cap lives without renewal (it is
   * renewed while bytes stream in): how long a dead instance can hold an upload's room.
   * @default 60 s
   */
  readonly reservationLeaseMs: number;
  /** Failed authentications one peer address may make per minute before it is refused; 0 for no limit. @default 20 */
  readonly authFailuresPerMinute: number;
}

export const DEFAULT_LIMITS: IngestLimits = Object.freeze({
  maxUnaryChunkBytes: 16 * 1024 * 1024,
  maxChunkBytes: 5 * 1024 ** 3,
  maxStagedBytesPerUpload: 12 * 1024 ** 3,
  maxChunkNumber: 1_000_000,
  retryPushbackMs: 500,
  reservationLeaseMs: 60_000,
  authFailuresPerMinute: 20,
});

/**
 * Says why the per-upload staging cap could stall an upload for good, if it could. An upload
 * whose chunks arrive in order holds, before any of its bytes can be released, up to one part
 * plus the chunk reaching into it from before and the chunk reaching past its end: with the
 * largest chunks, a cap below that refuses the next chunk for ever. (A growing part-size policy
 * is judged by its first parts, the ones all but huge files use.)
 */
export function stagingCapRisk(limits: IngestLimits, drives: readonly Drive[]): string | undefined {
  const largest = drives.reduce<Drive | undefined>(
    (max, d) => (max && max.partSizePolicy.partSize >= d.partSizePolicy.partSize ? max : d),
    undefined,
  );
  if (!largest) return undefined;
  const part = largest.partSizePolicy.partSize;
  const needed = part + 2 * limits.maxChunkBytes;
  if (limits.maxStagedBytesPerUpload >= needed) return undefined;
  return (
    `SLUICE_INGEST_MAX_STAGED_PER_UPLOAD is ${formatBytes(limits.maxStagedBytesPerUpload)}, below ` +
    `${formatBytes(needed)}: a part of drive ${largest.tenant}/${largest.name} (${formatBytes(part)}) plus two ` +
    `of the largest chunks (SLUICE_INGEST_MAX_CHUNK, ${formatBytes(limits.maxChunkBytes)}). An upload sending ` +
    'chunks that large in order could wait for ever for room the part-writer cannot free: raise the cap, ' +
    'or lower SLUICE_INGEST_MAX_CHUNK'
  );
}

/**
 * Says which staged-byte budgets could stall an upload for good, as {@link stagingCapRisk} does
 * for the per-upload cap: a budget below one part of the tenant's largest drive plus two of the
 * largest chunks can refuse an upload's next chunk while nothing it holds can be stored. (Many
 * uploads share a budget: this is the least it needs, not what it should be.)
 */
export function stagingBudgetRisks(
  limits: IngestLimits,
  drives: readonly Drive[],
  tenantLimits: (tenant: string) => TenantLimits,
): string[] {
  const needed = (of: readonly Drive[]): { needed: number; part: number } | undefined => {
    const part = Math.max(0, ...of.map((d) => d.partSizePolicy.partSize));
    return of.length === 0 ? undefined : { needed: part + 2 * limits.maxChunkBytes, part };
  };
  const risks: string[] = [];
  const advice = (what: string, budget: number, n: { needed: number; part: number }): string =>
    `${what} is ${formatBytes(budget)}, below ${formatBytes(n.needed)}: a part (${formatBytes(n.part)}) plus two of ` +
    `the largest chunks (SLUICE_INGEST_MAX_CHUNK, ${formatBytes(limits.maxChunkBytes)}). Uploads sending chunks ` +
    'that large could wait for ever for room the part-writer cannot free: raise the budget, or lower ' +
    'SLUICE_INGEST_MAX_CHUNK';
  const all = needed(drives);
  const global = limits.maxStagedBytesGlobal;
  if (global !== undefined && all && global < all.needed)
    risks.push(advice('SLUICE_INGEST_STAGED_BYTES_MAX', global, all));
  for (const tenant of new Set(drives.map((d) => d.tenant))) {
    const budget = tenantLimits(tenant).maxStagedBytes;
    const own = needed(drives.filter((d) => d.tenant === tenant));
    if (budget !== undefined && own && budget < own.needed)
      risks.push(advice(`maxStagedBytes of tenant ${tenant}`, budget, own));
  }
  return risks;
}

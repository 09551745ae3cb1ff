/** Byte units, binary as S3 states its limits. */
export const KiB = 1024;
export const MiB = 1024 * KiB;
export const GiB = 1024 * MiB;
export const TiB = 1024 * GiB;

/** S3's multipart rules (AWS "Amazon S3 multipart upload limits"); S3-compatible stores follow them. */
export const S3_LIMITS = Object.freeze({
  /** Smallest part but the last. */
  minPartSize: 5 * MiB,
  /** Largest part, and largest single PutObject. */
  maxPartSize: 5 * GiB,
  /** Most parts in one multipart upload; part numbers run 1..10,000. */
  maxParts: 10_000,
  /** Largest object AWS S3 stores; some compatible stores allow more. */
  maxObjectSize: 5 * TiB,
});

/** A byte count for messages: `16 MiB`, `156.25 GiB`, `17 bytes`. */
export function formatBytes(bytes: number): string {
  for (const [unit, size] of [
    ['TiB', TiB],
    ['GiB', GiB],
    ['MiB', MiB],
    ['KiB', KiB],
  ] as const) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(2))} ${unit}`;
  }
  return `${bytes} bytes`;
}

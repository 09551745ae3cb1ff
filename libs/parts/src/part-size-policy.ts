import { PartSizePolicyError } from './errors.ts';
import { MiB, S3_LIMITS, formatBytes } from './s3-limits.ts';

/** Size of every part but the last (fixed), or of the first parts (growing). */
export const DEFAULT_PART_SIZE = 16 * MiB;

/**
 * How a drive cuts files into parts. Either way, part k always covers the same byte range of
 * the file, whatever the file's total size and whatever order its chunks arrive in.
 *
 * - `fixed`: every part but the last has `partSize` bytes (R2 and some other stores require
 *   equal parts). Files up to 10,000 × `partSize` fit.
 * - `growing`: the first 1,000 parts have `partSize` bytes, then the size doubles every 500
 *   parts up to S3's 5 GiB part limit (see `partSizeOf`), so files of many TiB fit.
 */
export interface PartSizePolicy {
  readonly kind: 'fixed' | 'growing';
  /** Bytes, 5 MiB to 5 GiB. @default DEFAULT_PART_SIZE (16 MiB) */
  readonly partSize: number;
}

/** A policy as configured, before defaults. */
export interface PartSizePolicyInput {
  /** @default 'fixed' */
  readonly kind?: 'fixed' | 'growing';
  /** @default DEFAULT_PART_SIZE (16 MiB) */
  readonly partSize?: number;
}

/** The policy with defaults applied, frozen; throws PartSizePolicyError when S3 would refuse its parts. */
export function validatePartSizePolicy(input: PartSizePolicyInput = {}): PartSizePolicy {
  const kind = input.kind ?? 'fixed';
  const partSize = input.partSize ?? DEFAULT_PART_SIZE;
  if (kind !== 'fixed' && kind !== 'growing') {
    throw new PartSizePolicyError(
      `part size policy kind must be "fixed" or "growing", not ${JSON.stringify(kind)}`,
    );
  }
  if (
    !Number.isSafeInteger(partSize) ||
    partSize < S3_LIMITS.minPartSize ||
    partSize > S3_LIMITS.maxPartSize
  ) {
    throw new PartSizePolicyError(
      `part size ${String(partSize)} bytes${Number.isFinite(partSize) ? ` (${formatBytes(partSize)})` : ''} ` +
        `is outside S3's part limits: set the drive's part size to a whole number of bytes from ` +
        `${formatBytes(S3_LIMITS.minPartSize)} (${S3_LIMITS.minPartSize}) to ` +
        `${formatBytes(S3_LIMITS.maxPartSize)} (${S3_LIMITS.maxPartSize})`,
    );
  }
  return Object.freeze({ kind, partSize });
}

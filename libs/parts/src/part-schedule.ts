import { InternalError } from '@sluice/errors';
import { FileTooLargeError } from './errors.ts';
import { validatePartSizePolicy, type PartSizePolicy } from './part-size-policy.ts';
import { S3_LIMITS, formatBytes } from './s3-limits.ts';

/**
 * Where each part starts and ends. Depends only on the policy: never on a file's total size
 * (except that the last part stops at the file's end) nor on the order chunks arrive in, so a
 * part number always names the same bytes and a retried upload overwrites, never duplicates.
 *
 * The growing schedule, with P the policy's part size:
 *   parts     1 – 1000: P
 *   parts  1001 – 1500: 2P
 *   parts  1501 – 2000: 4P        … doubling every 500 parts,
 *   each size capped at 5 GiB, which the remaining parts up to 10,000 keep.
 * A 1 TiB file takes at most 4,820 parts (at P = 5 MiB) and 4,012 at the default 16 MiB; 5 TiB,
 * S3's object limit, fits for every P (at 5 MiB it ends near part 6,024).
 */

/** Parts of the first size in a growing schedule. */
export const GROWING_FIRST_PARTS = 1000;
/** Parts per doubling after the first ones. */
export const GROWING_STEP_PARTS = 500;

/** A byte range [start, end) of a file. */
export interface ByteRange {
  readonly start: number;
  /** Exclusive. */
  readonly end: number;
}

/** A part: its S3 part number (1-based) and the byte range it covers. */
export interface PartRange extends ByteRange {
  readonly partNumber: number;
}

/** A run of parts of equal size. */
interface PartGroup {
  readonly firstPart: number;
  readonly count: number;
  readonly size: number;
  readonly start: number;
}

interface Schedule {
  readonly groups: readonly PartGroup[];
  readonly maxFileSize: number;
}

const schedules = new Map<string, Schedule>();

function buildGroups(policy: PartSizePolicy): PartGroup[] {
  if (policy.kind === 'fixed') {
    return [{ firstPart: 1, count: S3_LIMITS.maxParts, size: policy.partSize, start: 0 }];
  }
  const groups: PartGroup[] = [];
  let firstPart = 1;
  let start = 0;
  let size = policy.partSize;
  let count = GROWING_FIRST_PARTS;
  while (firstPart <= S3_LIMITS.maxParts) {
    // Once at the cap, one group runs to part 10,000.
    if (size === S3_LIMITS.maxPartSize) count = S3_LIMITS.maxParts - firstPart + 1;
    count = Math.min(count, S3_LIMITS.maxParts - firstPart + 1);
    groups.push({ firstPart, count, size, start });
    firstPart += count;
    start += count * size;
    size = Math.min(size * 2, S3_LIMITS.maxPartSize);
    count = GROWING_STEP_PARTS;
  }
  return groups;
}

function scheduleOf(policy: PartSizePolicy): Schedule {
  const key = `${policy.kind}:${policy.partSize}`;
  let schedule = schedules.get(key);
  if (schedule === undefined) {
    const groups = buildGroups(validatePartSizePolicy(policy));
    const last = groups[groups.length - 1]!;
    schedule = { groups, maxFileSize: last.start + last.count * last.size };
    schedules.set(key, schedule);
  }
  return schedule;
}

/** The largest file the policy can cut into at most 10,000 parts, in bytes. */
export function maxFileSize(policy: PartSizePolicy): number {
  return scheduleOf(policy).maxFileSize;
}

/** Throws FileTooLargeError unless a file of `size` bytes fits the policy. */
export function checkFileSize(policy: PartSizePolicy, size: number): void {
  const max = maxFileSize(policy);
  if (size > max) {
    const how =
      policy.kind === 'fixed'
        ? `10,000 parts of ${formatBytes(policy.partSize)} = ${formatBytes(max)}`
        : `${formatBytes(max)} in 10,000 growing parts`;
    const advice =
      policy.kind === 'fixed' ? ': use a drive with a growing part policy or a larger part size' : '';
    throw new FileTooLargeError(
      `the file reaches ${formatBytes(size)} (${size} bytes), but its drive's part policy allows at most ${how} ` +
        `(${max} bytes)${advice}`,
      max,
    );
  }
}

/** The size of part `partNumber` before any truncation at the file's end. */
export function partSizeOf(policy: PartSizePolicy, partNumber: number): number {
  return groupOfPart(scheduleOf(policy), partNumber).size;
}

function groupOfPart(schedule: Schedule, partNumber: number): PartGroup {
  if (!Number.isSafeInteger(partNumber) || partNumber < 1 || partNumber > S3_LIMITS.maxParts) {
    throw new InternalError(`part numbers run from 1 to ${S3_LIMITS.maxParts}, not ${partNumber}`);
  }
  for (const group of schedule.groups) {
    if (partNumber < group.firstPart + group.count) return group;
  }
  throw new InternalError(`no group holds part ${partNumber}`);
}

/** The nominal byte range of part `partNumber` (the last part of a file may end sooner). */
export function partRange(policy: PartSizePolicy, partNumber: number): PartRange {
  const group = groupOfPart(scheduleOf(policy), partNumber);
  const start = group.start + (partNumber - group.firstPart) * group.size;
  return { partNumber, start, end: start + group.size };
}

/** The part holding byte `offset`, with its nominal range. Throws FileTooLargeError past the policy's limit. */
export function partForOffset(policy: PartSizePolicy, offset: number): PartRange {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new InternalError(`a byte offset must be a non-negative safe integer, not ${offset}`);
  }
  checkFileSize(policy, offset + 1);
  for (const group of scheduleOf(policy).groups) {
    const groupEnd = group.start + group.count * group.size;
    if (offset < groupEnd) {
      const index = Math.floor((offset - group.start) / group.size);
      const start = group.start + index * group.size;
      return { partNumber: group.firstPart + index, start, end: start + group.size };
    }
  }
  throw new InternalError(`no part holds offset ${offset}`);
}

/** How a file of known size goes up: one PutObject when it fits in part 1, else a multipart upload. */
export type UploadKind = 'single' | 'multipart';

/** Single PutObject when the whole file fits in part 1 (a zero-byte file included), else multipart. */
export function planKind(policy: PartSizePolicy, totalSize: number): UploadKind {
  checkFileSize(policy, totalSize);
  return totalSize <= partSizeOf(policy, 1) ? 'single' : 'multipart';
}

/** Parts a file of `totalSize` bytes is cut into: 1 for a single PutObject. */
export function partCount(policy: PartSizePolicy, totalSize: number): number {
  return planKind(policy, totalSize) === 'single' ? 1 : partForOffset(policy, totalSize - 1).partNumber;
}

/** Every part of a file of `totalSize` bytes, the last one truncated at the file's end. */
export function partsOfFile(policy: PartSizePolicy, totalSize: number): PartRange[] {
  const count = partCount(policy, totalSize);
  const parts: PartRange[] = [];
  for (let n = 1; n <= count; n++) {
    const range = partRange(policy, n);
    parts.push({ partNumber: n, start: range.start, end: Math.min(range.end, totalSize) });
  }
  return parts;
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_PART_SIZE,
  FileTooLargeError,
  GiB,
  MiB,
  PartSizePolicyError,
  S3_LIMITS,
  TiB,
  maxFileSize,
  partCount,
  partForOffset,
  partRange,
  partSizeOf,
  partsOfFile,
  planKind,
  validatePartSizePolicy,
  type PartSizePolicy,
} from '../src/index.ts';

const PART_SIZES = [5 * MiB, 5 * MiB + 1, 8 * MiB, 16 * MiB, 100 * MiB + 7, GiB, 3 * GiB, 5 * GiB];

function policies(): PartSizePolicy[] {
  return PART_SIZES.flatMap((partSize) => [
    validatePartSizePolicy({ kind: 'fixed', partSize }),
    validatePartSizePolicy({ kind: 'growing', partSize }),
  ]);
}

describe('part size policy', () => {
  it('defaults to fixed 16 MiB parts', () => {
    assert.deepEqual(validatePartSizePolicy(), { kind: 'fixed', partSize: 16 * MiB });
    assert.equal(DEFAULT_PART_SIZE, 16 * MiB);
    assert.deepEqual(validatePartSizePolicy({ kind: 'growing' }), { kind: 'growing', partSize: 16 * MiB });
  });

  it('refuses part sizes S3 would refuse, as a configuration error', () => {
    for (const partSize of [5 * MiB - 1, 5 * GiB + 1, 0, -1, 6.5 * MiB + 0.5, Number.NaN]) {
      assert.throws(
        () => validatePartSizePolicy({ kind: 'fixed', partSize }),
        (err: unknown) =>
          err instanceof PartSizePolicyError &&
          err.code === 'CONFIG_INVALID' &&
          /from 5 MiB/.test(err.message),
        String(partSize),
      );
    }
    assert.throws(
      () => validatePartSizePolicy({ kind: 'doubling' as 'fixed' }),
      (err: unknown) => err instanceof PartSizePolicyError && /"fixed" or "growing"/.test(err.message),
    );
  });
});

describe('part schedule', () => {
  it('cuts fixed parts of exactly partSize, up to 10,000 × partSize', () => {
    const policy = validatePartSizePolicy({ kind: 'fixed', partSize: 16 * MiB });
    assert.deepEqual(partRange(policy, 1), { partNumber: 1, start: 0, end: 16 * MiB });
    assert.deepEqual(partRange(policy, 10_000), {
      partNumber: 10_000,
      start: 9_999 * 16 * MiB,
      end: 10_000 * 16 * MiB,
    });
    assert.deepEqual(partForOffset(policy, 16 * MiB), { partNumber: 2, start: 16 * MiB, end: 32 * MiB });
    assert.equal(maxFileSize(policy), 10_000 * 16 * MiB);
  });

  it('says what to do when a file outgrows a fixed policy', () => {
    const policy = validatePartSizePolicy({ kind: 'fixed', partSize: 16 * MiB });
    const max = 10_000 * 16 * MiB;
    assert.equal(planKind(policy, max), 'multipart');
    assert.throws(
      () => partForOffset(policy, max),
      (err: unknown) =>
        err instanceof FileTooLargeError &&
        err.code === 'INVALID_ARGUMENT' &&
        err.maxFileSize === max &&
        err.message.includes('10,000 parts of 16 MiB = 156.25 GiB') &&
        err.message.includes('growing part policy'),
    );
    assert.throws(() => planKind(policy, max + 1), FileTooLargeError);
  });

  it('grows: P for parts 1-1000, then doubling every 500 parts, capped at 5 GiB', () => {
    const policy = validatePartSizePolicy({ kind: 'growing', partSize: 16 * MiB });
    assert.equal(partSizeOf(policy, 1), 16 * MiB);
    assert.equal(partSizeOf(policy, 1000), 16 * MiB);
    assert.equal(partSizeOf(policy, 1001), 32 * MiB);
    assert.equal(partSizeOf(policy, 1500), 32 * MiB);
    assert.equal(partSizeOf(policy, 1501), 64 * MiB);
    assert.equal(partSizeOf(policy, 4501), 4 * GiB);
    assert.equal(partSizeOf(policy, 5001), 5 * GiB);
    assert.equal(partSizeOf(policy, 10_000), 5 * GiB);
    const capped = validatePartSizePolicy({ kind: 'growing', partSize: 5 * GiB });
    assert.equal(partSizeOf(capped, 10_000), 5 * GiB);
    assert.equal(maxFileSize(capped), 10_000 * 5 * GiB);
  });

  it('tiles the file with parts S3 accepts, for every policy', () => {
    for (const policy of policies()) {
      let expectedStart = 0;
      for (let n = 1; n <= S3_LIMITS.maxParts; n++) {
        const range = partRange(policy, n);
        assert.equal(range.start, expectedStart, `${policy.kind} ${policy.partSize} part ${n}`);
        const size = range.end - range.start;
        assert.ok(size >= S3_LIMITS.minPartSize && size <= S3_LIMITS.maxPartSize);
        if (n === 1 || n % 97 === 0 || n === S3_LIMITS.maxParts) {
          assert.deepEqual(partForOffset(policy, range.start), range);
          assert.deepEqual(partForOffset(policy, range.end - 1), range);
        }
        expectedStart = range.end;
      }
      assert.equal(maxFileSize(policy), expectedStart);
    }
  });

  it('fits 1 TiB, and S3’s 5 TiB object limit, in at most 10,000 growing parts for every part size', () => {
    for (const policy of policies().filter((p) => p.kind === 'growing')) {
      assert.ok(partCount(policy, TiB) <= 10_000);
      assert.ok(maxFileSize(policy) >= S3_LIMITS.maxObjectSize, `${policy.partSize}`);
    }
    const smallest = validatePartSizePolicy({ kind: 'growing', partSize: 5 * MiB });
    const standard = validatePartSizePolicy({ kind: 'growing', partSize: 16 * MiB });
    assert.equal(partCount(smallest, TiB), 4820);
    assert.equal(partCount(standard, TiB), 4012);
    assert.equal(partCount(smallest, 5 * TiB), 6024);
  });

  it('goes up as one PutObject when the file fits part 1, a zero-byte file included', () => {
    const policy = validatePartSizePolicy({ kind: 'growing', partSize: 5 * MiB });
    assert.equal(planKind(policy, 0), 'single');
    assert.equal(planKind(policy, 5 * MiB), 'single');
    assert.equal(planKind(policy, 5 * MiB + 1), 'multipart');
    assert.deepEqual(partsOfFile(policy, 0), [{ partNumber: 1, start: 0, end: 0 }]);
    assert.deepEqual(partsOfFile(policy, 5 * MiB + 1), [
      { partNumber: 1, start: 0, end: 5 * MiB },
      { partNumber: 2, start: 5 * MiB, end: 5 * MiB + 1 },
    ]);
  });

  it('never lets the total size move a boundary: only the last part is cut short', () => {
    const policy = validatePartSizePolicy({ kind: 'growing', partSize: 5 * MiB });
    const whole = partsOfFile(policy, 40 * GiB);
    for (const total of [5 * MiB + 1, 7 * GiB + 3, 20 * GiB, 40 * GiB - 1]) {
      const parts = partsOfFile(policy, total);
      parts.slice(0, -1).forEach((part, i) => assert.deepEqual(part, whole[i]));
      assert.equal(parts.at(-1)!.end, total);
    }
  });
});

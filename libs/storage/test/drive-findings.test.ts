import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  FEATURES,
  driveSettings,
  errorCode,
  etagFormat,
  formatOutcome,
  settingDifferences,
  type Feature,
  type Outcome,
  type StoreReport,
} from '../src/index.ts';

function report(store: string, overrides: Partial<Record<Feature, Outcome>> = {}): StoreReport {
  const results = Object.fromEntries(FEATURES.map((f) => [f, overrides[f] ?? { kind: 'supported' }]));
  return { store, endpoint: `http://127.0.0.1/${store}`, results: results as Record<Feature, Outcome> };
}

test('a store that keeps neither full-object checksum gets checksumMode none', () => {
  const settings = driveSettings(
    report('moto-like', {
      crc64nvmeFullObject: { kind: 'ignored', note: 'HeadObject returned k8tXnQ==' },
      crc32cFullObject: { kind: 'ignored' },
    }),
  );
  assert.equal(settings.checksumMode, 'none');
});

test('cells are one line each', () => {
  assert.equal(formatOutcome({ kind: 'refused', code: 'X', note: 'two\nlines' }), 'refused (X): two lines');
  assert.equal(formatOutcome({ kind: 'skipped', note: 'multipart refused' }), 'not tried: multipart refused');
});

test('the ETag of a multipart object is classified against S3 form', () => {
  assert.equal(etagFormat(`"${'a'.repeat(32)}-3"`, 3), '`"<md5 hex>-<parts>"` (S3 form)');
  assert.equal(etagFormat(`"${'a'.repeat(32)}"`, 3), '`"<md5 hex>"` (no part count)');
  assert.equal(etagFormat('"opaque"', 3), '`"opaque"`');
  assert.equal(etagFormat(undefined, 3), 'none');
});

test('a refusal is named by its S3 code and HTTP status', () => {
  const error = Object.assign(new Error('x'), {
    name: 'PreconditionFailed',
    $metadata: { httpStatusCode: 412 },
  });
  assert.equal(errorCode(error), 'PreconditionFailed, 412');
  assert.equal(errorCode(Object.assign(new Error('x'), { $metadata: { httpStatusCode: 501 } })), 'HTTP 501');
});

const policy = { kind: 'fixed', partSize: 5 * 1024 * 1024 } as const;

test('a drive that asks for what the store refuses differs on each such setting, with the finding', () => {
  const store = report('s3proxy-like', {
    crc64nvmeFullObject: { kind: 'refused', code: 'NotImplemented, 501' },
    crc32cFullObject: { kind: 'refused', code: 'NotImplemented, 501' },
    sdkDefaultChecksums: { kind: 'refused', code: 'NotImplemented, 501', note: 'PutObject' },
    unequalParts: { kind: 'refused', code: 'InvalidPart, 400' },
  });
  const differences = settingDifferences(
    {
      checksumMode: 'crc64nvme',
      requestChecksumCalculation: 'WHEN_SUPPORTED',
      partSizePolicy: { kind: 'growing', partSize: policy.partSize },
    },
    store,
  );
  assert.deepEqual(
    differences.map((d) => [d.setting, d.current, d.recommended]),
    [
      ['checksumMode', 'crc64nvme', 'none'],
      ['requestChecksumCalculation', 'WHEN_SUPPORTED', 'WHEN_REQUIRED'],
      ['partSizePolicy', 'growing (5242880 bytes)', 'fixed'],
    ],
  );
  assert.match(differences[0]?.because ?? '', /CRC64NVME full-object.*refused \(NotImplemented, 501\)/);
});

test('sending fewer checksums or a fixed policy is never a difference', () => {
  const differences = settingDifferences(
    { checksumMode: 'crc64nvme', requestChecksumCalculation: 'WHEN_REQUIRED', partSizePolicy: policy },
    report('versitygw-like'),
  );
  assert.deepEqual(differences, []);
});

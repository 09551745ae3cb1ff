import assert from 'node:assert/strict';
import { test } from 'node:test';
import { etagFormat, errorCode } from '../src/s3-matrix/probe.ts';
import { renderSuites } from '../src/s3-matrix/run.ts';
import {
  FEATURES,
  FEATURE_TITLES,
  driveSettings,
  formatOutcome,
  renderTable,
  type Feature,
  type Outcome,
  type StoreReport,
} from '../src/s3-matrix/table.ts';

function report(store: string, overrides: Partial<Record<Feature, Outcome>> = {}): StoreReport {
  const results = Object.fromEntries(FEATURES.map((f) => [f, overrides[f] ?? { kind: 'supported' }]));
  return { store, endpoint: `http://127.0.0.1/${store}`, results: results as Record<Feature, Outcome> };
}

test('the table has a column per store and a row per feature, then the drive settings', () => {
  const text = renderTable([
    report('full'),
    report('partial', {
      crc64nvmeFullObject: { kind: 'refused', code: 'NotImplemented, 501' },
      ifNoneMatchComplete: { kind: 'ignored', note: 'completed over the existing object' },
      unequalParts: { kind: 'refused', code: 'InvalidPart, 400' },
      sdkDefaultChecksums: { kind: 'refused', code: 'BadDigest, 400', note: 'PutObject' },
      etagFormat: { kind: 'value', value: 'a|b' },
    }),
  ]);
  const lines = text.split('\n');
  assert.equal(lines[0], '| feature | full | partial |');
  assert.equal(lines[1], '| --- | --- | --- |');
  assert.equal(lines.length, 2 + FEATURES.length + 3);
  const row = (title: string): string | undefined => lines.find((l) => l.startsWith(`| ${title} |`));
  assert.equal(
    row(FEATURE_TITLES.crc64nvmeFullObject),
    `| ${FEATURE_TITLES.crc64nvmeFullObject} | yes | refused (NotImplemented, 501) |`,
  );
  assert.match(
    row(FEATURE_TITLES.ifNoneMatchComplete) ?? '',
    /\| ignored: completed over the existing object \|$/,
  );
  // A value holding the column separator is escaped, so the table keeps its columns.
  assert.match(row(FEATURE_TITLES.etagFormat) ?? '', /\| a\\\|b \|$/);
  assert.equal(row('drive `checksumMode`'), '| drive `checksumMode` | `crc64nvme` | `crc32c` |');
  assert.equal(
    row('drive `requestChecksumCalculation`'),
    '| drive `requestChecksumCalculation` | `WHEN_SUPPORTED` | `WHEN_REQUIRED` |',
  );
  assert.equal(row('drive `partSizePolicy`'), '| drive `partSizePolicy` | `fixed or growing` | `fixed` |');
});

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

test('the suite table lists each store with its counts', () => {
  const text = renderSuites([
    { store: 's3', suite: 'storage', outcome: 'passed', pass: 40, fail: 0, seconds: 12.34, logFile: '/x' },
  ]);
  assert.equal(text.split('\n')[2], '| s3 | storage | passed | 40 | 0 | 12.3 |');
});

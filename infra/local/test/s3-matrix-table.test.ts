import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FEATURES, FEATURE_TITLES, type Feature, type Outcome, type StoreReport } from '@sluice/storage';
import { renderDriveChecks, renderSuites } from '../src/s3-matrix/run.ts';
import { renderTable } from '../src/s3-matrix/table.ts';

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

test('the suite table lists each store with its counts', () => {
  const text = renderSuites([
    { store: 's3', suite: 'storage', outcome: 'passed', pass: 40, fail: 0, seconds: 12.34, logFile: '/x' },
  ]);
  assert.equal(text.split('\n')[2], '| s3 | storage | passed | 40 | 0 | 12.3 |');
});

test('the drive-check table has a row per store and drive, then each result line', () => {
  const text = renderDriveChecks([
    {
      store: 's3proxy',
      drive: 'wrong',
      settings: '`crc64nvme`, `WHEN_SUPPORTED`',
      exitCode: 1,
      lines: [
        'fails with the current settings: x [settings that differ from the recommended ones: checksumMode]',
        'result: 1 thing(s) fail',
      ],
    },
  ]);
  const lines = text.split('\n');
  assert.equal(lines[2], '| s3proxy | wrong | `crc64nvme`, `WHEN_SUPPORTED` | 1 | result: 1 thing(s) fail |');
  assert.equal(
    lines[4],
    '- s3proxy wrong: fails with the current settings: x [settings that differ from the recommended ones: checksumMode]',
  );
});

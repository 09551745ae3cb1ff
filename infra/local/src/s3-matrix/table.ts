/**
 * The S3 compatibility matrix as data and as a markdown table: one row per feature the probe
 * tries, one column per store, and the drive settings each store needs, derived from the rows.
 * Pure: the probe (probe.ts) fills a {@link StoreReport}, this renders it.
 */

/** The features the probe tries, in table order. */
export const FEATURES = [
  'multipart5MiB',
  'unequalParts',
  'crc64nvmeFullObject',
  'crc64nvmeVerified',
  'crc32cFullObject',
  'crc32cVerified',
  'ifNoneMatchComplete',
  'repeatedComplete',
  'etagFormat',
  'sdkDefaultChecksums',
] as const;
export type Feature = (typeof FEATURES)[number];

/** What each feature's row says, in the table's first column. */
export const FEATURE_TITLES: Readonly<Record<Feature, string>> = Object.freeze({
  multipart5MiB: 'multipart, 5 MiB parts',
  unequalParts: 'unequal parts (5, 6 MiB, small last)',
  crc64nvmeFullObject: 'CRC64NVME full-object, stored and returned',
  crc64nvmeVerified: 'CRC64NVME: a wrong full-object value refused',
  crc32cFullObject: 'CRC32C full-object, stored and returned',
  crc32cVerified: 'CRC32C: a wrong full-object value refused',
  ifNoneMatchComplete: '`If-None-Match: *` on Complete of an existing key',
  repeatedComplete: 'Complete repeated on the same upload',
  etagFormat: 'ETag of a multipart object',
  sdkDefaultChecksums: 'SDK default checksums (CRC32 on every request)',
});

/**
 * One feature's result. `supported`: the store did what S3 does. `refused`: it answered an error
 * (`code`). `ignored`: it accepted the request but did not do what was asked (no 412, a checksum
 * not kept, a wrong checksum accepted). `value`: a fact to report rather than judge (the ETag
 * format, what a repeated Complete answers).
 */
export type Outcome =
  | { readonly kind: 'supported'; readonly note?: string }
  | { readonly kind: 'refused'; readonly code: string; readonly note?: string }
  | { readonly kind: 'ignored'; readonly note?: string }
  | { readonly kind: 'value'; readonly value: string }
  | { readonly kind: 'skipped'; readonly note: string };

/** What the probe found on one store. */
export interface StoreReport {
  /** The store's name in the table (the service name). */
  readonly store: string;
  readonly endpoint: string;
  readonly results: Readonly<Record<Feature, Outcome>>;
}

/** The drive settings (libs/tenants `Drive`) a store needs, from what the probe found. */
export interface DriveSettings {
  readonly checksumMode: 'crc64nvme' | 'crc32c' | 'none';
  readonly requestChecksumCalculation: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';
  readonly partSizePolicy: 'fixed or growing' | 'fixed';
}

/**
 * The settings a drive on this store needs. A checksum mode counts only when the store keeps
 * the full-object value; `none` when it keeps neither (Sluice then checks bytes itself).
 * `growing` cuts parts of unequal sizes, so it needs a store that accepts them.
 */
export function driveSettings(report: StoreReport): DriveSettings {
  const ok = (feature: Feature): boolean => report.results[feature].kind === 'supported';
  return {
    checksumMode: ok('crc64nvmeFullObject') ? 'crc64nvme' : ok('crc32cFullObject') ? 'crc32c' : 'none',
    requestChecksumCalculation: ok('sdkDefaultChecksums') ? 'WHEN_SUPPORTED' : 'WHEN_REQUIRED',
    partSizePolicy: ok('unequalParts') ? 'fixed or growing' : 'fixed',
  };
}

/** One cell of the table. */
export function formatOutcome(outcome: Outcome): string {
  const cell = ((): string => {
    switch (outcome.kind) {
      case 'supported':
        return withNote('yes', outcome.note);
      case 'refused':
        return withNote(`refused (${outcome.code})`, outcome.note);
      case 'ignored':
        return withNote('ignored', outcome.note);
      case 'value':
        return outcome.value;
      case 'skipped':
        return `not tried: ${outcome.note}`;
    }
  })();
  // A cell holds no line breaks and no column separators.
  return cell.replace(/\s+/g, ' ').replace(/\|/g, '\\|');
}

/** The matrix as a markdown table, stores as columns, with the drive settings as the last rows. */
export function renderTable(reports: readonly StoreReport[]): string {
  const row = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  const lines = [
    row(['feature', ...reports.map((r) => r.store)]),
    row(['---', ...reports.map(() => '---')]),
    ...FEATURES.map((feature) =>
      row([FEATURE_TITLES[feature], ...reports.map((r) => formatOutcome(r.results[feature]))]),
    ),
  ];
  const settings = reports.map(driveSettings);
  for (const key of ['checksumMode', 'requestChecksumCalculation', 'partSizePolicy'] as const) {
    lines.push(row([`drive \`${key}\``, ...settings.map((s) => `\`${s[key]}\``)]));
  }
  return lines.join('\n');
}

function withNote(text: string, note: string | undefined): string {
  return note === undefined || note === '' ? text : `${text}: ${note}`;
}

/**
 * What a drive check found on a store, as data: one {@link Outcome} per feature the probe tries
 * (drive-probe.ts), the drive settings those outcomes call for, and how a drive's current
 * settings differ from them. Pure: the probe and the check (drive-check.ts) fill these in; the
 * assembler's `drive-check` command and the S3 matrix (infra/local) render them.
 */
import type { Drive } from '@sluice/tenants';
import type { ChecksumMode } from '@sluice/proto';

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
  'listPartsAfterComplete',
  'partAfterComplete',
  'completeUnknownUpload',
  'completeVersionId',
  'etagFormat',
  'sdkDefaultChecksums',
  'wrongSecret',
] as const;
export type Feature = (typeof FEATURES)[number];

/** What each feature's row says, in a table's first column. */
export const FEATURE_TITLES: Readonly<Record<Feature, string>> = Object.freeze({
  multipart5MiB: 'multipart, 5 MiB parts',
  unequalParts: 'unequal parts (5, 6 MiB, small last)',
  crc64nvmeFullObject: 'CRC64NVME full-object, stored and returned',
  crc64nvmeVerified: 'CRC64NVME: a wrong full-object value refused',
  crc32cFullObject: 'CRC32C full-object, stored and returned',
  crc32cVerified: 'CRC32C: a wrong full-object value refused',
  ifNoneMatchComplete: '`If-None-Match: *` on Complete of an existing key',
  repeatedComplete: 'Complete repeated on the same upload',
  listPartsAfterComplete: 'ListParts of a completed upload',
  partAfterComplete: 'UploadPart to a completed upload',
  completeUnknownUpload: 'Complete of an upload id it never gave',
  completeVersionId: 'version id from Complete, as HeadObject gives it',
  etagFormat: 'ETag of a multipart object',
  sdkDefaultChecksums: 'SDK default checksums (CRC32 on every request)',
  wrongSecret: 'a request signed with a wrong secret refused',
});

/**
 * One feature's result. `supported`: the store did what S3 does. `refused`: it answered an error
 * (`code`), or another error than S3's. `ignored`: it accepted the request but did not do what
 * was asked (no 412, a checksum not kept, a wrong checksum or secret accepted, a part taken for
 * an upload that is complete). `value`: a fact to report rather than judge (the ETag
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
  /** The store's name (a service name in the matrix, `tenant/drive` in the command). */
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

/** The settings the check compares, by name. */
export const SETTINGS = ['checksumMode', 'requestChecksumCalculation', 'partSizePolicy'] as const;
export type Setting = (typeof SETTINGS)[number];

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

/**
 * A store report from its JSON (what {@link probeStore} returns, as the S3 matrix hands it to the
 * suites it runs); undefined for an empty value.
 * @throws Error saying what is missing when it is not a store report
 */
export function parseStoreReport(json: string | undefined): StoreReport | undefined {
  if (json === undefined || json === '') return undefined;
  const report = JSON.parse(json) as Partial<StoreReport>;
  const missing = FEATURES.filter((f) => report.results?.[f] === undefined);
  if (typeof report.store !== 'string' || missing.length > 0) {
    throw new Error(
      `not a store report (no store name, or no ${missing.join(', ')}): give the JSON of what probeStore returns`,
    );
  }
  return report as StoreReport;
}

/**
 * The checksum mode for a drive that asks for `wanted` on the store `report` describes: `wanted`,
 * unless the store keeps no full-object checksum of that algorithm; then the one
 * {@link driveSettings} recommends. Without a report, `wanted`.
 */
export function checksumModeOn(report: StoreReport | undefined, wanted: ChecksumMode): ChecksumMode {
  if (report === undefined || (wanted !== 'crc64nvme' && wanted !== 'crc32c')) return wanted;
  const kept = report.results[wanted === 'crc64nvme' ? 'crc64nvmeFullObject' : 'crc32cFullObject'];
  return kept.kind === 'supported' ? wanted : driveSettings(report).checksumMode;
}

/** One current setting that is not the recommended one, and why it matters. */
export interface SettingDifference {
  readonly setting: Setting;
  readonly current: string;
  readonly recommended: string;
  /** What the probe found that decides it. */
  readonly because: string;
}

/** A drive's settings in the words of {@link DriveSettings}. */
export function currentSettings(
  drive: Pick<Drive, 'checksumMode' | 'requestChecksumCalculation' | 'partSizePolicy'>,
): Readonly<Record<Setting, string>> {
  return {
    checksumMode: drive.checksumMode,
    requestChecksumCalculation: drive.requestChecksumCalculation,
    partSizePolicy: `${drive.partSizePolicy.kind} (${drive.partSizePolicy.partSize} bytes)`,
  };
}

/**
 * Each setting of `drive` that differs from what the store calls for. A `fixed` policy is within
 * "fixed or growing"; `WHEN_REQUIRED` sends fewer checksums than a store that accepts them needs,
 * so it is never a difference.
 */
export function settingDifferences(
  drive: Pick<Drive, 'checksumMode' | 'requestChecksumCalculation' | 'partSizePolicy'>,
  report: StoreReport,
): SettingDifference[] {
  const recommended = driveSettings(report);
  const current = currentSettings(drive);
  const r = report.results;
  const out: SettingDifference[] = [];
  if (drive.checksumMode !== recommended.checksumMode) {
    const algorithm = drive.checksumMode === 'crc32c' ? 'crc32cFullObject' : 'crc64nvmeFullObject';
    out.push({
      setting: 'checksumMode',
      current: current.checksumMode,
      recommended: recommended.checksumMode,
      because:
        drive.checksumMode === 'none' || drive.checksumMode === 'crc32'
          ? `the store keeps ${recommended.checksumMode.toUpperCase()} full-object checksums`
          : `${FEATURE_TITLES[algorithm]}: ${formatOutcome(r[algorithm])}`,
    });
  }
  if (
    drive.requestChecksumCalculation === 'WHEN_SUPPORTED' &&
    recommended.requestChecksumCalculation === 'WHEN_REQUIRED'
  ) {
    out.push({
      setting: 'requestChecksumCalculation',
      current: current.requestChecksumCalculation,
      recommended: 'WHEN_REQUIRED',
      because: `${FEATURE_TITLES.sdkDefaultChecksums}: ${formatOutcome(r.sdkDefaultChecksums)}`,
    });
  }
  if (drive.partSizePolicy.kind === 'growing' && recommended.partSizePolicy === 'fixed') {
    out.push({
      setting: 'partSizePolicy',
      current: current.partSizePolicy,
      recommended: 'fixed',
      because: `${FEATURE_TITLES.unequalParts}: ${formatOutcome(r.unequalParts)}`,
    });
  }
  return out;
}

/** One cell of a findings table: a single line. */
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

function withNote(text: string, note: string | undefined): string {
  return note === undefined || note === '' ? text : `${text}: ${note}`;
}

/**
 * What the storage suite knows of the store under test: the probe's findings (drive-probe.ts),
 * which the S3 matrix hands over in `S3_STORE_REPORT_ENV`. Without them (`npm test`) every test
 * expects what S3 does, as versitygw does it; with them a test that depends on what the store
 * does asserts what this store is known to do, with the drive settings Sluice recommends for it.
 */
import type { ChecksumMode } from '@sluice/proto';
import { S3_STORE_REPORT_ENV, type Env } from '@sluice/testing';
import { FEATURES, driveSettings, type Outcome, type StoreReport } from '../src/index.ts';

/**
 * The findings in `env`, or undefined when it has none.
 * @throws Error naming the variable when its value is not a store report
 */
export function storeReport(env: Env = process.env): StoreReport | undefined {
  const raw = env[S3_STORE_REPORT_ENV];
  if (raw === undefined || raw === '') return undefined;
  const report = JSON.parse(raw) as Partial<StoreReport>;
  const missing = FEATURES.filter((f) => report.results?.[f] === undefined);
  if (typeof report.store !== 'string' || missing.length > 0) {
    throw new Error(
      `${S3_STORE_REPORT_ENV} is not a store report (no store name, or no ${missing.join(', ')}): ` +
        'set it to the JSON of what probeStore returns, or unset it',
    );
  }
  return report as StoreReport;
}

/**
 * The checksum mode a test asks for: `wanted`, unless the store keeps no full-object checksum
 * of that algorithm; then the mode Sluice recommends for the store's drives.
 */
export function checksumModeOn(report: StoreReport | undefined, wanted: ChecksumMode): ChecksumMode {
  if (report === undefined || (wanted !== 'crc64nvme' && wanted !== 'crc32c')) return wanted;
  const kept = report.results[wanted === 'crc64nvme' ? 'crc64nvmeFullObject' : 'crc32cFullObject'];
  return kept.kind === 'supported' ? wanted : driveSettings(report).checksumMode;
}

/**
 * Whether the adapter reads the store's answer about an upload that is gone as S3's NoSuchUpload:
 * that answer itself, or NoSuchKey (s3proxy's), which CompleteMultipartUpload takes the same way.
 */
export function answersNoSuchUpload(outcome: Outcome): boolean {
  return outcome.kind === 'supported' || (outcome.kind === 'refused' && /^NoSuchKey\b/.test(outcome.code));
}

/** The HTTP status of a refusal as the probe names it (`<S3 code>, <status>` or `HTTP <status>`). */
export function refusalStatus(outcome: Outcome): number | undefined {
  if (outcome.kind !== 'refused') return undefined;
  const status = /\b(\d{3})$/.exec(outcome.code)?.[1];
  return status === undefined ? undefined : Number(status);
}

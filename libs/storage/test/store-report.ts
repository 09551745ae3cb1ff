/**
 * What the storage suite knows of the store under test: the probe's findings (drive-probe.ts),
 * which the S3 matrix hands over in `S3_STORE_REPORT_ENV`. Without them (`npm test`) every test
 * expects what S3 does, as versitygw does it; with them a test that depends on what the store
 * does asserts what this store is known to do, with the drive settings Sluice recommends for it.
 */
import { S3_STORE_REPORT_ENV, type Env } from '@sluice/testing';
import { parseStoreReport, type Outcome, type StoreReport } from '../src/index.ts';

export { checksumModeOn } from '../src/index.ts';

/**
 * The findings in `env`, or undefined when it has none.
 * @throws Error naming the variable when its value is not a store report
 */
export function storeReport(env: Env = process.env): StoreReport | undefined {
  try {
    return parseStoreReport(env[S3_STORE_REPORT_ENV]);
  } catch (err) {
    throw new Error(`${S3_STORE_REPORT_ENV} is ${(err as Error).message}, or unset it`, { cause: err });
  }
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

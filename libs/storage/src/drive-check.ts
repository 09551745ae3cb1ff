/**
 * Checks a drive against its real store: that the store answers and the bucket is there with the
 * drive's credentials, what the store does (drive-probe.ts), which settings that calls for, and
 * whether the drive's CURRENT settings work: a multipart upload cut by its part size policy (two
 * full parts and a short last one) with its checksum mode, through its own client (its request
 * checksum calculation), verified as the assembler verifies it, read back, then a single
 * PutObject and a repeated Complete.
 *
 * Everything is written under a scratch prefix inside the drive's own key space (the fixed start
 * of its key template, then `.sluice-drive-check/<uuid>/`), and everything under it, objects and
 * unfinished uploads, is removed in `finally`, whatever happened. Requests are tried once
 * (`maxAttempts: 1`): a refusal is seen, not retried. Credentials are never part of the report.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import {
  Crc32,
  Crc32c,
  Crc64Nvme,
  crc32ToBase64,
  crc32cToBase64,
  crc64nvmeToBase64,
} from '@sluice/checksums';
import type { Drive } from '@sluice/tenants';
import { S3Clients } from './clients.ts';
import {
  currentSettings,
  driveSettings,
  settingDifferences,
  type DriveSettings,
  type Setting,
  type SettingDifference,
  type StoreReport,
} from './drive-findings.ts';
import { errorCode, probeStore, removePrefix } from './drive-probe.ts';
import { s3ErrorCode } from './errors.ts';
import type { BodyCrcs, ObjectBody, PartToComplete } from './object-store.ts';
import { S3ObjectStore } from './s3-object-store.ts';
import { CHECKSUM_FIELD } from './s3-fields.ts';

/** Options of {@link checkDrive}. */
export interface DriveCheckOptions {
  readonly drive: Drive;
  /** Where the scratch objects go; it should end with `/`. @default {@link scratchPrefix} */
  readonly prefix?: string;
  /** Bounds each request. @default 60000 */
  readonly requestTimeoutMs?: number;
}

/** Whether the store answered the drive's first request, and if not, what to fix. */
export type Reachability =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly problem: 'unreachable' | 'bucket' | 'credentials' | 'refused';
      readonly message: string;
    };

/** A step that failed with the drive's current settings. */
export interface CurrentSettingsFailure {
  readonly step: string;
  /** The error, or what differed. */
  readonly error: string;
  /** The settings the probe's findings point at (those that differ from the recommended ones). */
  readonly settings: readonly Setting[];
}

/** Everything {@link checkDrive} found. */
export interface DriveCheckReport {
  readonly tenant: string;
  readonly drive: string;
  readonly endpoint: string;
  readonly bucket: string;
  readonly prefix: string;
  readonly reachable: Reachability;
  /** The probe's findings; absent when the store could not be reached. */
  readonly findings?: StoreReport;
  readonly recommended?: DriveSettings;
  readonly current: Readonly<Record<Setting, string>>;
  readonly differences: readonly SettingDifference[];
  /** The steps tried with the current settings that worked. */
  readonly passed: readonly string[];
  readonly failures: readonly CurrentSettingsFailure[];
}

/** 0: the current settings work; 1: something fails with them; 2: the store cannot be reached. */
export function driveCheckExitCode(report: DriveCheckReport): 0 | 1 | 2 {
  if (!report.reachable.ok) return 2;
  return report.failures.length > 0 ? 1 : 0;
}

/** `<fixed start of the key template>.sluice-drive-check/<id>/`, inside the drive's own keys. */
export function scratchPrefix(
  drive: Pick<Drive, 'keyTemplate' | 'tenant' | 'name'>,
  id: string = randomUUID(),
): string {
  const rendered = drive.keyTemplate.replace(/\{tenant\}/g, drive.tenant).replace(/\{drive\}/g, drive.name);
  const open = rendered.search(/\{\w+\}/);
  const fixed = open === -1 ? rendered : rendered.slice(0, open);
  return `${fixed.slice(0, fixed.lastIndexOf('/') + 1)}.sluice-drive-check/${id}/`;
}

/** Probes the drive's store and tries its current settings; never throws for a store's refusal. */
export async function checkDrive(options: DriveCheckOptions): Promise<DriveCheckReport> {
  const { drive } = options;
  const prefix = options.prefix ?? scratchPrefix(drive);
  const requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
  const base = {
    tenant: drive.tenant,
    drive: drive.name,
    endpoint: drive.endpoint,
    bucket: drive.bucket,
    prefix,
    current: currentSettings(drive),
  };
  const clients = new S3Clients({ maxAttempts: 1, requestTimeoutMs });
  try {
    const reachable = await reach(clients, drive, prefix, requestTimeoutMs);
    if (!reachable.ok) return { ...base, reachable, differences: [], passed: [], failures: [] };
    const findings = await probeStore({ drive, prefix: `${prefix}probe/`, requestTimeoutMs });
    const differences = settingDifferences(drive, findings);
    const blamed = differences.map((d) => d.setting);
    const tried = await tryCurrentSettings(new S3ObjectStore(clients.for(drive)), drive, `${prefix}current/`);
    const failures: CurrentSettingsFailure[] = tried.failures.map((f) => ({ ...f, settings: blamed }));
    // A growing policy cuts unequal parts only past part 1000, which the upload above never reaches.
    const growing = differences.find((d) => d.setting === 'partSizePolicy');
    if (growing) {
      failures.push({
        step: 'parts past 1000 (a growing policy doubles their size)',
        error: growing.because,
        settings: ['partSizePolicy'],
      });
    }
    return {
      ...base,
      reachable,
      findings,
      recommended: driveSettings(findings),
      differences,
      passed: tried.passed,
      failures,
    };
  } finally {
    await removePrefix(clients.for(drive), drive.bucket, prefix).catch(() => undefined);
    await clients.close();
  }
}

/** The drive's first request, a listing of the scratch prefix, classified by what to fix. */
async function reach(
  clients: S3Clients,
  drive: Drive,
  prefix: string,
  timeoutMs: number,
): Promise<Reachability> {
  try {
    await clients
      .for(drive)
      .send(new ListObjectsV2Command({ Bucket: drive.bucket, Prefix: prefix, MaxKeys: 1 }), {
        abortSignal: AbortSignal.timeout(timeoutMs),
      });
    return { ok: true };
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    const code = s3ErrorCode(err);
    const said = `${errorCode(err)}: ${(err as Error).message}`;
    if (status === undefined) {
      return {
        ok: false,
        problem: 'unreachable',
        message: `the store at ${drive.endpoint} cannot be reached (${(err as Error).message}): check the drive's endpoint and that the store is up`,
      };
    }
    if (code === 'NoSuchBucket' || status === 404) {
      return {
        ok: false,
        problem: 'bucket',
        message: `bucket ${drive.bucket} does not exist at ${drive.endpoint} (${errorCode(err)}): check the drive's bucket`,
      };
    }
    if (['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied'].includes(code) || status === 403) {
      return {
        ok: false,
        problem: 'credentials',
        message:
          `the store at ${drive.endpoint} refused the drive's credentials (access key id ` +
          `${drive.credentials.accessKeyId.slice(0, 4)}…) for bucket ${drive.bucket} (${errorCode(err)}): check the ` +
          `access key id and secret key the drive's credentials point at, and their rights on the bucket`,
      };
    }
    return { ok: false, problem: 'refused', message: `listing bucket ${drive.bucket} was refused (${said})` };
  }
}

const TAIL_BYTES = 1000;

function crcsOf(pieces: readonly Buffer[]): BodyCrcs {
  const c64 = new Crc64Nvme();
  const c32c = new Crc32c();
  const c32 = new Crc32();
  for (const p of pieces) {
    c64.update(p);
    c32c.update(p);
    c32.update(p);
  }
  return { crc64nvme: c64.digest(), crc32c: c32c.digest(), crc32: c32.digest() };
}

function bodyOf(bytes: Buffer): ObjectBody {
  return { pieces: [bytes], length: bytes.length, crcs: crcsOf([bytes]) };
}

function base64Of(mode: Drive['checksumMode'], crcs: BodyCrcs): string | undefined {
  switch (mode) {
    case 'crc64nvme':
      return crc64nvmeToBase64(crcs.crc64nvme);
    case 'crc32c':
      return crc32cToBase64(crcs.crc32c);
    case 'crc32':
      return crc32ToBase64(crcs.crc32);
    default:
      return undefined;
  }
}

/**
 * What the apps do with the drive, on the drive's own client: the part-writer's multipart upload
 * and single PutObject, the assembler's completion, HeadObject verification, read-back and a
 * repeated completion. A step that fails stops the steps that need it.
 */
async function tryCurrentSettings(
  store: S3ObjectStore,
  drive: Drive,
  prefix: string,
): Promise<{ passed: string[]; failures: Omit<CurrentSettingsFailure, 'settings'>[] }> {
  const passed: string[] = [];
  const failures: Omit<CurrentSettingsFailure, 'settings'>[] = [];
  const mode = drive.checksumMode;
  // Parts 1 and 2 are `partSize` bytes under either kind of policy (growing starts past part 1000).
  const full = randomBytes(drive.partSizePolicy.partSize);
  const tail = randomBytes(TAIL_BYTES);
  const parts = [full, full, tail];
  const whole = crcsOf(parts);
  const size = 2 * full.length + tail.length;
  const target = { bucket: drive.bucket, key: `${prefix}multipart.bin`, checksumMode: mode };
  const step = async (name: string, work: () => Promise<string | undefined>): Promise<boolean> => {
    try {
      const problem = await work();
      if (problem === undefined) passed.push(name);
      else failures.push({ step: name, error: problem });
      return problem === undefined;
    } catch (err) {
      // A HEAD answer has no body, so its error has no S3 code: the HTTP status says more.
      const cause = (err as { cause?: { $metadata?: { httpStatusCode?: number } } }).cause;
      const status = cause?.$metadata?.httpStatusCode;
      failures.push({ step: name, error: `${(err as Error).message}${status ? ` (HTTP ${status})` : ''}` });
      return false;
    }
  };

  const uploadName =
    `multipart upload, parts of ${drive.partSizePolicy.partSize} + ${drive.partSizePolicy.partSize} + ` +
    `${TAIL_BYTES} bytes, checksumMode ${mode}, requestChecksumCalculation ${drive.requestChecksumCalculation}`;
  let uploadId: string | undefined;
  let completed: PartToComplete[] = [];
  let versionId = '';
  const fullObject = base64Of(mode, whole);
  const checksum =
    mode === 'none' || fullObject === undefined ? undefined : { algorithm: mode, base64: fullObject };
  const uploaded = await step(uploadName, async () => {
    uploadId = await store.createMultipartUpload(target);
    for (const [index, bytes] of parts.entries()) {
      const body = bodyOf(bytes);
      const etag = await store.uploadPart(target, uploadId, index + 1, body);
      const checksum = base64Of(mode, body.crcs);
      completed.push({ partNumber: index + 1, etag, ...(checksum ? { checksum } : {}) });
    }
    const done = await store.completeMultipartUpload(
      { bucket: target.bucket, key: target.key, uploadId },
      completed,
      checksum,
    );
    if (done.status !== 'completed')
      return 'CompleteMultipartUpload answered NoSuchUpload for an open upload';
    versionId = done.versionId;
    return undefined;
  });
  if (!uploaded) completed = [];

  if (uploaded) {
    await step('HeadObject verification (as the assembler verifies)', async () => {
      const head = await store.headObject({ bucket: target.bucket, key: target.key, versionId });
      if (!head) return 'HeadObject found no object after the completion';
      const problems: string[] = [];
      if (head.size !== size) problems.push(`size is ${head.size}, expected ${size}`);
      // As the assembler: CRC64NVME whenever the store reports one, the mode's own CRC in its mode.
      for (const algorithm of new Set(['crc64nvme', mode] as const)) {
        if (algorithm === 'none') continue;
        const got = head.checksums[algorithm];
        const want = base64Of(algorithm, whole);
        if (got !== undefined && got !== want) {
          problems.push(`${CHECKSUM_FIELD[algorithm]} is ${got}, expected ${want}`);
        }
      }
      return problems.length === 0
        ? undefined
        : `${problems.join('; ')}: the assembler would fail every upload (STORAGE_VERIFY_FAILED)`;
    });
    await step('read back (SHA-256 of the object)', async () => {
      const read = await store.sha256OfObject({ bucket: target.bucket, key: target.key, versionId });
      const want = createHash('sha256').update(full).update(full).update(tail).digest();
      return read.sha256.equals(want)
        ? undefined
        : `read ${read.size} bytes whose SHA-256 differs from what was sent`;
    });
    await step('CompleteMultipartUpload repeated (a retried completion)', async () => {
      await store.completeMultipartUpload(
        { bucket: target.bucket, key: target.key, uploadId: uploadId ?? '' },
        completed,
        checksum,
      );
      return undefined;
    });
  }
  await step(`single PutObject, checksumMode ${mode}`, async () => {
    await store.putObject(
      { bucket: drive.bucket, key: `${prefix}single.bin`, checksumMode: mode },
      bodyOf(tail),
    );
    return undefined;
  });
  return { passed, failures };
}

import { createHash, timingSafeEqual } from 'node:crypto';
import { InvalidArgumentError, NotFoundError, UnauthenticatedError } from '@sluice/errors';
import { validatePartSizePolicy, type PartSizePolicy } from '@sluice/parts';
import { CHECKSUM_MODES, type ChecksumMode } from '@sluice/proto';

/** S3 credentials, resolved; never logged, never in events. */
export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** A client's own S3 storage: where a tenant's uploads land. */
export interface Drive {
  readonly name: string;
  readonly tenant: string;
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  /** With `{tenant}`, `{drive}`, `{node_id}`, `{upload_id}`, `{filename}`. */
  readonly keyTemplate: string;
  readonly forcePathStyle: boolean;
  readonly checksumMode: ChecksumMode;
  /**
   * `WHEN_REQUIRED` keeps @aws-sdk/client-s3 from adding CRC32 checksums to every
   * request, which some S3-compatible stores reject.
   */
  readonly requestChecksumCalculation: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';
  readonly partSizePolicy: PartSizePolicy;
  /**
   * The assembler reads every object back from the store and checks it against the whole-file
   * SHA-256 computed on the way in: for a store whose own checksums cannot be trusted, at the
   * cost of reading each object once more. @default false
   */
  readonly readBack?: boolean;
  readonly credentials: S3Credentials;
}

/**
 * What one tenant may use at once, from its `limits` in the tenants file; a limit left out is
 * no limit. Each is held across every ingest instance (in Redis), and refused with
 * RESOURCE_EXHAUSTED and a pushback.
 */
export interface TenantLimits {
  /** Uploads initiated and neither sealed nor aborted (nor expired). */
  readonly maxOpenUploads?: number;
  /** Chunk calls per second, in a bucket holding one second's worth. */
  readonly maxChunksPerSecond?: number;
  /**
   * Bytes the tenant's uploads may hold staged in Redis and not yet stored, together with the
   * bytes of chunks on their way in: a chunk reserves its bytes against it before any is staged.
   */
  readonly maxStagedBytes?: number;
}

/** Every tenant's keys and drives. */
export interface Tenants {
  /** The tenant's limits; none for a tenant without `limits`. */
  limits(tenant: string): TenantLimits;
  /** The tenant an API key belongs to. @throws UnauthenticatedError */
  authenticate(apiKey: string | undefined): string;
  /**
   * The tenant's drive, for a caller who asked for it by name. Another tenant's drive of that
   * name is answered exactly as a drive that does not exist, so no tenant learns another's names.
   * @throws NotFoundError (DRIVE_NOT_FOUND)
   */
  drive(tenant: string, name: string): Drive;
  /**
   * The tenant's drive, for consumers that act on an upload's events (which name its tenant);
   * undefined when the tenants file does not have it.
   */
  driveOf(tenant: string, name: string): Drive | undefined;
  /** Every tenant's drives; names repeat across tenants. */
  readonly drives: readonly Drive[];
}

const TEMPLATE_VARS = ['tenant', 'drive', 'node_id', 'upload_id', 'filename'] as const;
export const DEFAULT_KEY_TEMPLATE = '{tenant}/{drive}/{node_id}';

/** Where credentials come from, as written in the file. */
type CredentialsSpec = { accessKeyIdEnv: string; secretAccessKeyEnv: string } | { file: string };

/** What `parseTenants` needs besides the file: variables and a file reader for credentials. */
export interface ResolveContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly readFile: (path: string) => string;
}

/** Thrown when the tenants file is wrong; the message names the field and what it needs. */
export class TenantsFileError extends InvalidArgumentError {
  constructor(message: string) {
    super(message, { code: 'INVALID_ARGUMENT' });
    this.name = 'TenantsFileError';
  }
}

const UNITS: Readonly<Record<string, number>> = { '': 1, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

function sizeOf(value: unknown, field: string): number {
  if (typeof value === 'number') return value;
  const m = typeof value === 'string' ? /^(\d+)\s*(kib|mib|gib)?$/i.exec(value.trim()) : null;
  const unit = UNITS[(m?.[2] ?? '').toLowerCase()];
  if (!m || unit === undefined)
    throw new TenantsFileError(`${field} must be a size such as 16MiB or 16777216`);
  return Number(m[1]) * unit;
}

/**
 * Parses the tenants file (JSON): `{ "tenants": [{ "name", "apiKeys": [{ "sha256" | "key" }],
 * "limits"?: { "maxOpenUploads"?, "maxChunksPerSecond"?, "maxStagedBytes"? },
 * "drives": [{ "name", "endpoint", "region", "bucket", "keyTemplate"?, "forcePathStyle"?,
 * "checksumMode"?, "requestChecksumCalculation"?, "partSizePolicy"?: { "kind", "partSize" }, "readBack"?,
 * "credentials": { "accessKeyIdEnv", "secretAccessKeyEnv" } | { "file" } }] }] }`.
 * Every problem names its place ("tenants[0].drives[1].bucket") and what it needs. A drive's
 * name is unique within its tenant only, so each tenant names its drives without knowing others'.
 */
export function parseTenants(text: string, context: ResolveContext): Tenants {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new TenantsFileError(`the tenants file is not valid JSON: ${(err as Error).message}`);
  }
  const list = (doc as { tenants?: unknown })?.tenants;
  if (!Array.isArray(list) || list.length === 0) {
    throw new TenantsFileError('the tenants file needs a non-empty "tenants" array');
  }
  const keys = new Map<string, string>();
  const limits = new Map<string, TenantLimits>();
  // Drive names belong to their tenant: two tenants may each have a drive "docs".
  const drives = new Map<string, Map<string, Drive>>();
  list.forEach((raw: unknown, i) => {
    const at = `tenants[${i}]`;
    const t = obj(raw, at);
    const tenant = str(t['name'], `${at}.name`);
    if (t['limits'] !== undefined)
      limits.set(tenant, parseLimits(obj(t['limits'], `${at}.limits`), `${at}.limits`, tenant));
    arr(t['apiKeys'], `${at}.apiKeys`).forEach((k, j) => {
      const kf = obj(k, `${at}.apiKeys[${j}]`);
      const digest =
        typeof kf['sha256'] === 'string'
          ? kf['sha256'].toLowerCase()
          : hashKey(str(kf['key'], `${at}.apiKeys[${j}].key (or .sha256)`));
      if (!/^[0-9a-f]{64}$/.test(digest))
        throw new TenantsFileError(`${at}.apiKeys[${j}].sha256 must be 64 hex digits`);
      keys.set(digest, tenant);
    });
    const own = drives.get(tenant) ?? new Map<string, Drive>();
    drives.set(tenant, own);
    arr(t['drives'], `${at}.drives`).forEach((d, j) => {
      const drive = parseDrive(obj(d, `${at}.drives[${j}]`), tenant, `${at}.drives[${j}]`, context);
      if (own.has(drive.name)) {
        throw new TenantsFileError(
          `${at}.drives[${j}].name "${drive.name}" is used twice in tenant ${tenant}: give the drive another name`,
        );
      }
      own.set(drive.name, drive);
    });
  });
  const digests = [...keys.keys()].map((d) => Buffer.from(d, 'hex'));
  const driveOf = (tenant: string, name: string): Drive | undefined => drives.get(tenant)?.get(name);
  return {
    drives: [...drives.values()].flatMap((own) => [...own.values()]),
    limits: (tenant) => limits.get(tenant) ?? {},
    authenticate(apiKey) {
      if (!apiKey) {
        throw new UnauthenticatedError('no API key: send it as `authorization: Bearer <api key>` metadata');
      }
      const digest = createHash('sha256').update(apiKey).digest();
      // Compare against every key in constant time per key, so timing says nothing.
      const found = digests.find((d) => timingSafeEqual(d, digest));
      const tenant = found ? keys.get(found.toString('hex')) : undefined;
      if (!tenant) throw new UnauthenticatedError('the API key is not known: check the key you were given');
      return tenant;
    },
    drive(tenant, name) {
      const drive = driveOf(tenant, name);
      // One answer whether the name is unknown or another tenant's: the message must not tell which.
      if (!drive) {
        throw new NotFoundError(
          'DRIVE_NOT_FOUND',
          `no drive "${name}" in your tenant: ask for the drives of your tenant`,
        );
      }
      return drive;
    },
    driveOf,
  };
}

/** The SHA-256 (hex) stored in the tenants file in place of an API key. */
export function hashKey(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex');
}

/** Renders a drive's key template for one upload. */
export function objectKey(
  template: string,
  vars: { tenant: string; drive: string; node_id: string; upload_id: string; filename: string },
): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = (vars as Record<string, string>)[name];
    return v === undefined ? `{${name}}` : v;
  });
}

function parseDrive(d: Record<string, unknown>, tenant: string, at: string, context: ResolveContext): Drive {
  const endpoint = str(d['endpoint'], `${at}.endpoint`);
  try {
    if (!['http:', 'https:'].includes(new URL(endpoint).protocol)) throw new Error('protocol');
  } catch {
    throw new TenantsFileError(
      `${at}.endpoint must be an http:// or https:// URL, not ${JSON.stringify(endpoint)}`,
    );
  }
  const keyTemplate =
    d['keyTemplate'] === undefined ? DEFAULT_KEY_TEMPLATE : str(d['keyTemplate'], `${at}.keyTemplate`);
  for (const [, name] of keyTemplate.matchAll(/\{(\w+)\}/g)) {
    if (!TEMPLATE_VARS.includes(name as (typeof TEMPLATE_VARS)[number])) {
      throw new TenantsFileError(
        `${at}.keyTemplate uses {${name}}; the known names are ${TEMPLATE_VARS.map((v) => `{${v}}`).join(', ')}`,
      );
    }
  }
  if (!keyTemplate.includes('{upload_id}') && !keyTemplate.includes('{node_id}')) {
    throw new TenantsFileError(
      `${at}.keyTemplate must contain {node_id} or {upload_id}, or every upload lands on one key`,
    );
  }
  const checksumMode = (d['checksumMode'] ?? 'crc64nvme') as ChecksumMode;
  if (!CHECKSUM_MODES.includes(checksumMode)) {
    throw new TenantsFileError(`${at}.checksumMode must be one of ${CHECKSUM_MODES.join(', ')}`);
  }
  const rcc = d['requestChecksumCalculation'] ?? 'WHEN_REQUIRED';
  if (rcc !== 'WHEN_SUPPORTED' && rcc !== 'WHEN_REQUIRED') {
    throw new TenantsFileError(`${at}.requestChecksumCalculation must be WHEN_SUPPORTED or WHEN_REQUIRED`);
  }
  const readBack = d['readBack'] ?? false;
  if (typeof readBack !== 'boolean') {
    throw new TenantsFileError(
      `${at}.readBack must be true or false, not ${JSON.stringify(readBack)}: true makes the assembler read every object back`,
    );
  }
  const policy = d['partSizePolicy'] === undefined ? {} : obj(d['partSizePolicy'], `${at}.partSizePolicy`);
  let partSizePolicy: PartSizePolicy;
  try {
    partSizePolicy = validatePartSizePolicy({
      kind: policy['kind'] as 'fixed' | 'growing' | undefined,
      partSize:
        policy['partSize'] === undefined
          ? undefined
          : sizeOf(policy['partSize'], `${at}.partSizePolicy.partSize`),
    });
  } catch (err) {
    if (err instanceof TenantsFileError) throw err;
    throw new TenantsFileError(`${at}.partSizePolicy: ${(err as Error).message}`);
  }
  return Object.freeze({
    name: str(d['name'], `${at}.name`),
    tenant,
    endpoint,
    region: d['region'] === undefined ? 'us-east-1' : str(d['region'], `${at}.region`),
    bucket: str(d['bucket'], `${at}.bucket`),
    keyTemplate,
    forcePathStyle: d['forcePathStyle'] === undefined ? true : d['forcePathStyle'] === true,
    checksumMode,
    requestChecksumCalculation: rcc,
    partSizePolicy,
    readBack,
    credentials: credentials(obj(d['credentials'], `${at}.credentials`), `${at}.credentials`, context),
  });
}

function credentials(spec: Record<string, unknown>, at: string, context: ResolveContext): S3Credentials {
  const s = spec as Partial<CredentialsSpec & { file: string }>;
  if ('file' in s && typeof s.file === 'string') {
    let parsed: Partial<S3Credentials>;
    try {
      parsed = JSON.parse(context.readFile(s.file)) as Partial<S3Credentials>;
    } catch (err) {
      throw new TenantsFileError(`${at}.file ${s.file} cannot be read as JSON: ${(err as Error).message}`);
    }
    if (!parsed.accessKeyId || !parsed.secretAccessKey) {
      throw new TenantsFileError(`${at}.file ${s.file} must hold {"accessKeyId", "secretAccessKey"}`);
    }
    return { accessKeyId: parsed.accessKeyId, secretAccessKey: parsed.secretAccessKey };
  }
  const idVar = str((s as { accessKeyIdEnv?: unknown }).accessKeyIdEnv, `${at}.accessKeyIdEnv (or .file)`);
  const secretVar = str(
    (s as { secretAccessKeyEnv?: unknown }).secretAccessKeyEnv,
    `${at}.secretAccessKeyEnv`,
  );
  const accessKeyId = context.env[idVar];
  const secretAccessKey = context.env[secretVar];
  if (!accessKeyId)
    throw new TenantsFileError(`${at}: variable ${idVar} is not set; it must hold the access key id`);
  if (!secretAccessKey)
    throw new TenantsFileError(`${at}: variable ${secretVar} is not set; it must hold the secret key`);
  return { accessKeyId, secretAccessKey };
}

function parseLimits(l: Record<string, unknown>, at: string, tenant: string): TenantLimits {
  const known = ['maxOpenUploads', 'maxChunksPerSecond', 'maxStagedBytes'];
  for (const key of Object.keys(l)) {
    if (!known.includes(key))
      throw new TenantsFileError(
        `${at}.${key} of tenant ${tenant} is not a limit: use one of ${known.join(', ')}`,
      );
  }
  const positive = (key: string, unit: string): number | undefined => {
    const v = l[key];
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)
      throw new TenantsFileError(
        `${at}.${key} of tenant ${tenant} is ${JSON.stringify(v)}; it must be a whole number of ${unit} of ` +
          'at least 1 (leave it out for no limit)',
      );
    return v;
  };
  const maxOpenUploads = positive('maxOpenUploads', 'uploads');
  const maxChunksPerSecond = positive('maxChunksPerSecond', 'chunk calls');
  const maxStagedBytes = positive('maxStagedBytes', 'bytes');
  return {
    ...(maxOpenUploads === undefined ? {} : { maxOpenUploads }),
    ...(maxChunksPerSecond === undefined ? {} : { maxChunksPerSecond }),
    ...(maxStagedBytes === undefined ? {} : { maxStagedBytes }),
  };
}

function obj(v: unknown, at: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new TenantsFileError(`${at} must be an object`);
  return v as Record<string, unknown>;
}

function arr(v: unknown, at: string): unknown[] {
  if (!Array.isArray(v)) throw new TenantsFileError(`${at} must be an array`);
  return v;
}

function str(v: unknown, at: string): string {
  if (typeof v !== 'string' || v.trim() === '')
    throw new TenantsFileError(`${at} must be a non-empty string`);
  return v;
}

/**
 * Tries each feature of {@link FEATURES} against one drive's store, with the drive's endpoint,
 * region, credentials and path style (clients built by {@link S3Clients}, as the apps build
 * them), in the drive's bucket, under a scratch prefix that it empties (objects and unfinished
 * uploads) when it is done, whatever happened. Every request is sent as Sluice's storage adapter
 * sends it (full-object checksums with the part checksums of the same algorithm), with
 * `maxAttempts: 1` so a refusal is seen, not retried. The drive's own checksum settings are not
 * used here: the probe asks what the store does; drive-check.ts then tries the drive's settings.
 *
 * The order matters: the 5 MiB multipart object is completed first, its ETag read, its upload
 * completed a second time, and only then is a new upload of the same key completed with
 * `If-None-Match: *` (which a store that ignores the header lets overwrite the object); then the
 * first, completed, upload's parts are listed and a part is sent to it.
 *
 * With `wrongSecret`, one request is signed with a wrong secret (the drive's access key id, its
 * secret altered): a store that answers it as if it were right checks no signatures. Only for
 * stores of one's own (the S3 matrix): on a tenant's store, a failed signature may raise alarms.
 */
import { randomBytes } from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { Drive } from '@sluice/tenants';
import { S3Clients } from './clients.ts';
import { checksumOfBytes } from './s3-fields.ts';
import type { Feature, Outcome, StoreReport } from './drive-findings.ts';

const MiB = 1024 * 1024;

/** Where and how to probe. */
export interface ProbeOptions {
  /** The store's name in the report. @default `<tenant>/<drive>` */
  readonly store?: string;
  /** The drive whose endpoint, region, credentials, path style and bucket are probed. */
  readonly drive: Drive;
  /** The scratch prefix every key goes under, emptied at the end; it should end with `/`. */
  readonly prefix: string;
  /** Bounds each request. @default 60000 */
  readonly requestTimeoutMs?: number;
  /** Also send one request signed with a wrong secret (see the top of this file). @default false */
  readonly wrongSecret?: boolean;
}

type Algorithm = 'CRC64NVME' | 'CRC32C';

/** The field of a part or an object that carries each algorithm's value. */
const FIELD = { CRC64NVME: 'ChecksumCRC64NVME', CRC32C: 'ChecksumCRC32C' } as const;

function checksumOf(algorithm: Algorithm, bytes: Uint8Array): string {
  return checksumOfBytes(algorithm === 'CRC64NVME' ? 'crc64nvme' : 'crc32c', bytes);
}

/** The S3 error code of a refusal (the SDK names the error after it), with the HTTP status. */
export function errorCode(error: unknown): string {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const name = e.name && e.name !== 'Error' && e.name !== 'Unknown' ? e.name : undefined;
  if (name !== undefined && status !== undefined) return `${name}, ${status}`;
  return name ?? (status !== undefined ? `HTTP ${status}` : String((error as Error).message ?? error));
}

type Attempt<T> = { ok: true; value: T } | { ok: false; code: string; status: number | undefined };

async function attempt<T>(work: () => Promise<T>): Promise<Attempt<T>> {
  try {
    return { ok: true, value: await work() };
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    return { ok: false, code: errorCode(error), status };
  }
}

/** Runs every probe against the drive's store and returns what it found. */
export async function probeStore(options: ProbeOptions): Promise<StoreReport> {
  const { drive, prefix } = options;
  const bucket = drive.bucket;
  const timeout = options.requestTimeoutMs ?? 60_000;
  const clients = new S3Clients({ maxAttempts: 1, requestTimeoutMs: timeout });
  // S3Clients keeps one client per drive name: each checksum calculation gets a name of its own.
  const client = (requestChecksumCalculation: Drive['requestChecksumCalculation']): S3Client =>
    clients.for({
      ...drive,
      name: `${drive.name}#${requestChecksumCalculation}`,
      requestChecksumCalculation,
    });
  const s3 = client('WHEN_REQUIRED');
  const sdkDefault = client('WHEN_SUPPORTED');
  const send: S3Client['send'] = ((command: Parameters<S3Client['send']>[0]) =>
    s3.send(command, { abortSignal: AbortSignal.timeout(timeout) })) as S3Client['send'];

  const five = randomBytes(5 * MiB);
  const six = randomBytes(6 * MiB);
  const tail = randomBytes(1000);

  /** One whole multipart upload; parts carry `algorithm`'s checksum when given. */
  const multipart = async (
    key: string,
    parts: readonly Buffer[],
    checksum?: { readonly algorithm: Algorithm; readonly fullObject: string },
  ): Promise<{ uploadId: string; completed: CompletedPart[]; versionId: string | undefined }> => {
    const Key = prefix + key;
    const created = await send(
      new CreateMultipartUploadCommand({
        Bucket: bucket,
        Key,
        ...(checksum ? { ChecksumAlgorithm: checksum.algorithm, ChecksumType: 'FULL_OBJECT' } : {}),
      }),
    );
    const uploadId = created.UploadId;
    if (uploadId === undefined) throw new Error('CreateMultipartUpload answered without an UploadId');
    const completed: CompletedPart[] = [];
    for (const [index, Body] of parts.entries()) {
      const PartNumber = index + 1;
      const partChecksum = checksum
        ? { [FIELD[checksum.algorithm]]: checksumOf(checksum.algorithm, Body) }
        : {};
      const out = await send(
        new UploadPartCommand({ Bucket: bucket, Key, UploadId: uploadId, PartNumber, Body, ...partChecksum }),
      );
      completed.push({ PartNumber, ETag: out.ETag, ...partChecksum });
    }
    const done = await send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key,
        UploadId: uploadId,
        MultipartUpload: { Parts: completed },
        ...(checksum
          ? { ChecksumType: 'FULL_OBJECT', [FIELD[checksum.algorithm]]: checksum.fullObject }
          : {}),
      }),
    );
    return { uploadId, completed, versionId: done.VersionId };
  };

  const results: Partial<Record<Feature, Outcome>> = {};
  const refused = (a: { code: string }): Outcome => ({ kind: 'refused', code: a.code });
  try {
    // Multipart with 5 MiB parts, its ETag, and a second Complete of the same upload.
    const plain = await attempt(() => multipart('plain.bin', [five, five, tail]));
    if (plain.ok) {
      const head = await attempt(() =>
        send(new HeadObjectCommand({ Bucket: bucket, Key: `${prefix}plain.bin` })),
      );
      const expected = 10 * MiB + tail.length;
      results.multipart5MiB = !head.ok
        ? { kind: 'refused', code: head.code, note: 'HeadObject after Complete' }
        : head.value.ContentLength === expected
          ? { kind: 'supported' }
          : { kind: 'ignored', note: `object has ${head.value.ContentLength} bytes, not ${expected}` };
      results.etagFormat = head.ok ? { kind: 'value', value: etagFormat(head.value.ETag, 3) } : refused(head);
      results.completeVersionId = !head.ok
        ? refused(head)
        : (head.value.VersionId ?? '') === (plain.value.versionId ?? '')
          ? { kind: 'supported', note: plain.value.versionId ? 'the same' : 'none from either' }
          : {
              kind: 'ignored',
              note: `Complete answered ${versionIdOf(plain.value.versionId)}, HeadObject ${versionIdOf(head.value.VersionId)}`,
            };
      const again = await attempt(() =>
        send(
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: `${prefix}plain.bin`,
            UploadId: plain.value.uploadId,
            MultipartUpload: { Parts: plain.value.completed },
          }),
        ),
      );
      results.repeatedComplete = {
        kind: 'value',
        value: again.ok ? 'accepted again (200)' : `refused (${again.code})`,
      };
      results.ifNoneMatchComplete = await ifNoneMatch(send, bucket, `${prefix}plain.bin`, tail);
      results.listPartsAfterComplete = goneUpload(
        await attempt(() =>
          send(
            new ListPartsCommand({
              Bucket: bucket,
              Key: `${prefix}plain.bin`,
              UploadId: plain.value.uploadId,
            }),
          ),
        ),
        (listed) => `answered a list of ${listed.Parts?.length ?? 0} part(s)`,
      );
      results.partAfterComplete = goneUpload(
        await attempt(() =>
          send(
            new UploadPartCommand({
              Bucket: bucket,
              Key: `${prefix}plain.bin`,
              UploadId: plain.value.uploadId,
              PartNumber: 4,
              Body: tail,
            }),
          ),
        ),
      );
    } else {
      results.multipart5MiB = refused(plain);
      const skipped: Outcome = { kind: 'skipped', note: 'multipart refused' };
      results.etagFormat = skipped;
      results.completeVersionId = skipped;
      results.repeatedComplete = skipped;
      results.listPartsAfterComplete = skipped;
      results.ifNoneMatchComplete = skipped;
      results.partAfterComplete = skipped;
    }
    results.completeUnknownUpload = goneUpload(
      await attempt(() =>
        send(
          new CompleteMultipartUploadCommand({
            Bucket: bucket,
            Key: `${prefix}unknown.bin`,
            UploadId: 'sluice-drive-probe-unknown-upload',
            MultipartUpload: { Parts: [{ PartNumber: 1, ETag: `"${'0'.repeat(32)}"` }] },
          }),
        ),
      ),
    );

    const unequal = await attempt(() => multipart('unequal.bin', [five, six, tail]));
    results.unequalParts = unequal.ok ? { kind: 'supported' } : refused(unequal);

    for (const algorithm of ['CRC64NVME', 'CRC32C'] as const) {
      const parts = [five, tail];
      const fullObject = checksumOf(algorithm, Buffer.concat(parts));
      const stored = `${algorithm === 'CRC64NVME' ? 'crc64nvme' : 'crc32c'}FullObject` as const;
      const verified = `${algorithm === 'CRC64NVME' ? 'crc64nvme' : 'crc32c'}Verified` as const;
      const key = `${algorithm.toLowerCase()}.bin`;
      const done = await attempt(() => multipart(key, parts, { algorithm, fullObject }));
      if (!done.ok) {
        results[stored] = refused(done);
      } else {
        const head = await attempt(() =>
          send(new HeadObjectCommand({ Bucket: bucket, Key: prefix + key, ChecksumMode: 'ENABLED' })),
        );
        const returned = head.ok ? head.value[FIELD[algorithm]] : undefined;
        const type = head.ok ? head.value.ChecksumType : undefined;
        results[stored] = !head.ok
          ? { kind: 'refused', code: head.code, note: 'HeadObject with ChecksumMode' }
          : returned === fullObject
            ? { kind: 'supported', note: type === undefined ? 'no ChecksumType' : type }
            : returned === undefined
              ? { kind: 'ignored', note: 'accepted, not returned by HeadObject' }
              : { kind: 'ignored', note: `HeadObject returned ${returned} (${type ?? 'no type'})` };
      }
      const wrong = await attempt(() =>
        multipart(`${key}.wrong`, parts, { algorithm, fullObject: checksumOf(algorithm, tail) }),
      );
      results[verified] = wrong.ok
        ? { kind: 'ignored', note: 'completed with a wrong value' }
        : done.ok
          ? { kind: 'supported', note: wrong.code }
          : refused(wrong);
    }

    results.sdkDefaultChecksums = await sdkDefaultChecksums(sdkDefault, bucket, prefix, tail, timeout);

    results.wrongSecret = options.wrongSecret
      ? await wrongSecret(clients, drive, bucket, prefix, timeout)
      : { kind: 'skipped', note: 'not probed: no request is signed wrongly on purpose here' };
  } finally {
    await removePrefix(s3, bucket, prefix).catch(() => undefined);
    await clients.close();
  }
  return {
    store: options.store ?? `${drive.tenant}/${drive.name}`,
    endpoint: drive.endpoint,
    results: results as Record<Feature, Outcome>,
  };
}

/** How the store answers a request signed with a wrong secret: S3 refuses it with 403. */
async function wrongSecret(
  clients: S3Clients,
  drive: Drive,
  bucket: string,
  prefix: string,
  timeout: number,
): Promise<Outcome> {
  const client = clients.for({
    ...drive,
    name: `${drive.name}#wrong-secret`,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    credentials: { ...drive.credentials, secretAccessKey: `${drive.credentials.secretAccessKey}-wrong` },
  });
  const signed = await attempt(() =>
    client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, MaxKeys: 1 }), {
      abortSignal: AbortSignal.timeout(timeout),
    }),
  );
  return signed.ok
    ? { kind: 'ignored', note: 'answered as if it were right' }
    : signed.status === 403
      ? { kind: 'supported', note: signed.code }
      : { kind: 'refused', code: signed.code };
}

/**
 * What a request about an upload that is not there (any more) met: S3 answers NoSuchUpload.
 * `accepted` says what the store answered when it took the request.
 */
function goneUpload<T>(answer: Attempt<T>, accepted: (value: T) => string = () => 'accepted'): Outcome {
  if (answer.ok) return { kind: 'ignored', note: accepted(answer.value) };
  return answer.code.startsWith('NoSuchUpload')
    ? { kind: 'supported', note: answer.code }
    : { kind: 'refused', code: answer.code };
}

function versionIdOf(versionId: string | undefined): string {
  return versionId === undefined || versionId === '' ? 'none' : `\`${versionId}\``;
}

/** `"<md5 hex>-<parts>"` is S3's form; anything else is shown as it came. */
export function etagFormat(etag: string | undefined, parts: number): string {
  if (etag === undefined) return 'none';
  if (new RegExp(`^"[0-9a-f]{32}-${parts}"$`).test(etag)) return '`"<md5 hex>-<parts>"` (S3 form)';
  if (/^"[0-9a-f]{32}"$/.test(etag)) return '`"<md5 hex>"` (no part count)';
  return `\`${etag.slice(0, 48)}\``;
}

/** Completes a new upload of an existing key with `If-None-Match: *`: S3 answers 412. */
async function ifNoneMatch(
  send: S3Client['send'],
  bucket: string,
  Key: string,
  body: Buffer,
): Promise<Outcome> {
  const created = await attempt(() => send(new CreateMultipartUploadCommand({ Bucket: bucket, Key })));
  if (!created.ok || created.value.UploadId === undefined) {
    return {
      kind: 'refused',
      code: created.ok ? 'no UploadId' : created.code,
      note: 'CreateMultipartUpload',
    };
  }
  const UploadId = created.value.UploadId;
  try {
    const part = await send(
      new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber: 1, Body: body }),
    );
    const done = await attempt(() =>
      send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key,
          UploadId,
          IfNoneMatch: '*',
          MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] },
        }),
      ),
    );
    if (done.ok) return { kind: 'ignored', note: 'completed over the existing object' };
    if (done.status === 412) return { kind: 'supported', note: done.code };
    return { kind: 'refused', code: done.code };
  } finally {
    await send(new AbortMultipartUploadCommand({ Bucket: bucket, Key, UploadId })).catch(() => undefined);
  }
}

/**
 * What a client left at the SDK's default (`requestChecksumCalculation: 'WHEN_SUPPORTED'`)
 * meets: a CRC32 on every PutObject and UploadPart.
 */
async function sdkDefaultChecksums(
  client: S3Client,
  bucket: string,
  prefix: string,
  body: Buffer,
  timeout: number,
): Promise<Outcome> {
  const options = (): { abortSignal: AbortSignal } => ({ abortSignal: AbortSignal.timeout(timeout) });
  const put = await attempt(() =>
    client.send(
      new PutObjectCommand({ Bucket: bucket, Key: `${prefix}default-put.bin`, Body: body }),
      options(),
    ),
  );
  if (!put.ok) return { kind: 'refused', code: put.code, note: 'PutObject' };
  const Key = `${prefix}default-mpu.bin`;
  // A client that knows nothing of checksums lists each part by number and ETag alone.
  let step = 'CreateMultipartUpload';
  const part = await attempt(async () => {
    const created = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key }), options());
    const UploadId = created.UploadId;
    step = 'UploadPart';
    const out = await client.send(
      new UploadPartCommand({ Bucket: bucket, Key, UploadId, PartNumber: 1, Body: body }),
      options(),
    );
    step = 'CompleteMultipartUpload';
    await client.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key,
        UploadId,
        MultipartUpload: { Parts: [{ PartNumber: 1, ETag: out.ETag }] },
      }),
      options(),
    );
  });
  return part.ok ? { kind: 'supported' } : { kind: 'refused', code: part.code, note: step };
}

/** Deletes every object under `prefix` and aborts every upload still open there. */
export async function removePrefix(client: S3Client, bucket: string, prefix: string): Promise<void> {
  let token: string | undefined;
  do {
    const page = await client.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [{ Key: o.Key }]));
    if (keys.length > 0) {
      // s3proxy refuses DeleteObjects (501, for the CRC32 the SDK must send with it): one by one,
      // last first, as its filesystem lists a directory before what is in it.
      await client
        .send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }))
        .catch(async () => {
          for (const { Key } of [...keys].reverse()) {
            await client.send(new DeleteObjectCommand({ Bucket: bucket, Key }));
          }
        });
    }
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }));
  for (const upload of uploads.Uploads ?? []) {
    await client
      .send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: upload.Key, UploadId: upload.UploadId }))
      .catch(() => undefined);
  }
}

/**
 * The matrix's end-to-end upload set (run.ts): the four apps started by libs/testing's
 * `startPipeline`, with a tenants file of the matrix's own whose one drive points at the store,
 * set as the probe recommends (`driveSettings`: checksum mode and request checksums) with fixed
 * 5 MiB parts. A few files go through it — empty, one byte, one byte past a part, and about
 * 17 MiB in chunks of varied sizes sent in a shuffled order — and each must reach COMPLETED with
 * its object in the store holding exactly the file's bytes.
 *
 * Redis, Kafka, Apicurio and MySQL must be up (`npm run infra -- up`); the set says so when they
 * are not. The objects are written under `s3-matrix/e2e-<uuid>/` in the store's bucket and
 * deleted one by one afterwards (s3proxy refuses DeleteObjects); the topics, Redis namespace and
 * database are startPipeline's and go with it. The whole set, the apps' start included, is
 * bounded by one deadline (each app's start is bounded by startPipeline too).
 */
import { createHash, randomUUID } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { SluiceClient, UploadStatus, statusName, waitForUpload } from '@sluice/client';
import { LOCAL_DEFAULTS } from '@sluice/config';
import { toSluiceError } from '@sluice/errors';
import { driveSettings, type StoreReport } from '@sluice/storage';
import {
  SeededRandom,
  emptyBucketEach,
  requireServices,
  s3Client,
  startPipeline,
  uniqueName,
} from '@sluice/testing';
import { localEnv } from '../orchestrator.ts';

const KiB = 1024;
const MiB = 1024 * KiB;

/** The files of the set, by size, and how each is cut into chunks. */
export const UPLOAD_SET = [
  { name: 'empty', size: 0, chunks: 'one' },
  { name: 'one byte', size: 1, chunks: 'one' },
  { name: 'a part and a byte', size: 5 * MiB + 1, chunks: 'varied' },
  { name: 'about 17 MiB', size: 17 * MiB + 12_345, chunks: 'varied' },
] as const;

/** How the set went on one store. */
export interface UploadSetResult {
  readonly outcome: 'passed' | 'failed' | 'timed out';
  /** Files that reached COMPLETED with byte-identical objects. */
  readonly pass: number;
  readonly fail: number;
  /** One line per file that did not, or the error that stopped the set. */
  readonly notes: readonly string[];
}

/** Options of {@link runUploadSet}. */
export interface UploadSetOptions {
  readonly report: StoreReport;
  /** Where the tenants file goes. */
  readonly dir: string;
  /** The apps' output, appended. */
  readonly logFile: string;
  readonly timeoutMs: number;
  /** Chunk sizes and order come from it. @default 1 */
  readonly seed?: number;
}

/** One file of the set, its chunks in the order they are sent. */
interface PlannedFile {
  readonly name: string;
  readonly data: Buffer;
  readonly chunks: readonly { readonly number: number; readonly bytes: Buffer }[];
}

/** Chunks of 64 KiB to 3 MiB for a `varied` file, the whole file as one for the others. */
function plan(random: SeededRandom): PlannedFile[] {
  return UPLOAD_SET.map(({ name, size, chunks }) => {
    const data = random.bytes(size);
    const cut: Buffer[] = [];
    if (chunks === 'one') {
      if (size > 0) cut.push(data);
    } else {
      for (let at = 0; at < size;) {
        const length = Math.min(size - at, random.int(64 * KiB, 3 * MiB));
        cut.push(data.subarray(at, at + length));
        at += length;
      }
    }
    const ordered = cut.map((bytes, number) => ({ number, bytes }));
    return { name, data, chunks: random.shuffle(ordered) };
  });
}

/** Runs the set against the store of `report`; never throws. */
export async function runUploadSet(options: UploadSetOptions): Promise<UploadSetResult> {
  const { report } = options;
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const files = plan(new SeededRandom(options.seed ?? 1));
  const prefix = `s3-matrix/${uniqueName('e2e')}/`;
  const bucket = LOCAL_DEFAULTS.s3Bucket;
  const cleanups: (() => unknown)[] = [];
  const after = (fn: () => unknown): void => void cleanups.push(fn);
  const s3 = s3Client(
    {
      endpoint: report.endpoint,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    },
    localEnv(),
  );
  after(() => s3.destroy());
  after(() => emptyBucketEach(s3, bucket, prefix));
  try {
    // Checked, not started: the matrix brings up only the stores.
    await requireServices(['redis', 'kafka', 'apicurio', 'mysql']);
    const apiKey = randomUUID();
    const settings = driveSettings(report);
    const tenantsFile = join(options.dir, `${report.store}-e2e-tenants-${randomUUID()}.json`);
    after(() => rmSync(tenantsFile, { force: true }));
    writeFileSync(
      tenantsFile,
      JSON.stringify({
        tenants: [
          {
            name: 's3-matrix',
            apiKeys: [{ key: apiKey }],
            drives: [
              {
                name: 'matrix',
                endpoint: report.endpoint,
                region: LOCAL_DEFAULTS.s3Region,
                bucket,
                keyTemplate: `${prefix}{node_id}/{upload_id}`,
                checksumMode: settings.checksumMode,
                requestChecksumCalculation: settings.requestChecksumCalculation,
                partSizePolicy: { kind: 'fixed', partSize: '5MiB' },
                credentials: { accessKeyIdEnv: 'S3_MATRIX_KEY', secretAccessKeyEnv: 'S3_MATRIX_SECRET' },
              },
            ],
          },
        ],
      }),
    );
    // Not raced against the deadline: startPipeline registers its clean-ups as it goes, and bounds
    // each app's start itself. The tenants file replaces its own, so its apiKey and drive are unused.
    const pipeline = await startPipeline(
      { after },
      {
        logFile: options.logFile,
        commonEnv: {
          SLUICE_TENANTS_FILE: tenantsFile,
          S3_MATRIX_KEY: LOCAL_DEFAULTS.s3AccessKey,
          S3_MATRIX_SECRET: LOCAL_DEFAULTS.s3SecretKey,
        },
      },
    );
    const client = new SluiceClient({ server: pipeline.grpcAddress, apiKey });
    after(() => client.close());
    const outcomes = await Promise.all(
      files.map((file) => uploadOne(client, s3, bucket, file, deadline).catch((e: unknown) => describe(e))),
    );
    const failures = outcomes.flatMap((problem, i) =>
      problem === undefined ? [] : [`${files[i]?.name ?? i}: ${problem}`],
    );
    return {
      outcome: failures.length === 0 ? 'passed' : deadline.aborted ? 'timed out' : 'failed',
      pass: files.length - failures.length,
      fail: failures.length,
      notes: failures,
    };
  } catch (error) {
    return {
      outcome: deadline.aborted ? 'timed out' : 'failed',
      pass: 0,
      fail: files.length,
      notes: [`the set did not run: ${describe(error)}`],
    };
  } finally {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (error) {
        process.stderr.write(`s3-matrix: e2e clean-up on ${report.store}: ${describe(error)}\n`);
      }
    }
  }
}

/**
 * Uploads one file (three chunks at a time), seals it with its SHA-256, follows it to a final
 * state and reads its object back. Resolves with what went wrong, or undefined.
 */
async function uploadOne(
  client: SluiceClient,
  s3: S3Client,
  bucket: string,
  file: PlannedFile,
  signal: AbortSignal,
): Promise<string | undefined> {
  const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
  const started = await client.initiate(
    { drive: 'matrix', nodeId: randomUUID(), sizeHint: file.data.length },
    signal,
  );
  let next = 0;
  const sender = async (): Promise<void> => {
    while (next < file.chunks.length) {
      const chunk = file.chunks[next++] as PlannedFile['chunks'][number];
      await client.uploadChunk(started.uploadId, chunk.number, chunk.bytes, {
        stream: false,
        sha256: sha256(chunk.bytes),
        signal,
      });
    }
  };
  await Promise.all([sender(), sender(), sender()]);
  await client.complete(started.uploadId, file.chunks.length, sha256(file.data), signal);
  const state = await waitForUpload(client, started.uploadId, { signal });
  if (state.status !== UploadStatus.UPLOAD_STATUS_COMPLETED) {
    return `upload ${started.uploadId} ended ${statusName(state.status)} (${state.errorCode}: ${state.errorMessage})`;
  }
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: started.key }), {
    abortSignal: signal,
  });
  const body = Buffer.from((await object.Body?.transformToByteArray()) ?? []);
  if (!body.equals(file.data)) {
    return `object ${started.key} has ${body.length} bytes (SHA-256 ${sha256(body)}), not the file's ${file.data.length} (${sha256(file.data)})`;
  }
  return undefined;
}

function describe(error: unknown): string {
  const e = toSluiceError(error);
  return `${e.code}: ${e.message}`;
}

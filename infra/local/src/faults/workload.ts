/**
 * The uploads a fault scenario runs while its fault is injected: files of random sizes, cut
 * into chunks of a random size, sent in a shuffled order with some chunks sent twice, several
 * uploads at once, each call retried as the client library retries. Once the fault is over,
 * every upload is followed to its end and each one that completed is read back from S3 and
 * hashed, so the outcome of every acknowledged byte is known.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  FINAL_STATUSES,
  UploadStatus,
  statusName,
  waitForUpload,
  withRetry,
  type RetryOptions,
  type SluiceClient,
} from '@sluice/client';
import { toSluiceError } from '@sluice/errors';
import type { SeededRandom } from '@sluice/testing';

const KiB = 1024;
const MiB = 1024 * KiB;

/** How one upload ended, as the run sees it. */
export type Outcome =
  /** Completed, and the object in S3 has exactly the file's bytes. */
  | 'identical'
  /** Completed, but the object differs from the file: data lost or corrupted. */
  | 'corrupt'
  /** Failed, expired or refused with a code and a message saying why. */
  | 'failed'
  /** Acknowledged work with no end, or an end with no reason: lost. */
  | 'lost';

/** One upload of the workload. */
export interface UploadRecord {
  readonly size: number;
  readonly chunkSize: number;
  readonly sha256: string;
  uploadId?: string;
  chunksAcked: number;
  sealed: boolean;
  /** `CODE: message` of the error that ended the upload at the client. */
  clientError?: string;
  /** Status name and reason of the upload's final state. */
  finalState?: string;
  outcome?: Outcome;
}

/** A scenario's row. */
export interface WorkloadSummary {
  readonly started: number;
  readonly chunksAcked: number;
  readonly identical: number;
  readonly failed: number;
  readonly lost: number;
  /** The reasons uploads failed with, and how many each. */
  readonly reasons: ReadonlyMap<string, number>;
  /** What each lost upload was, for the report. */
  readonly lostDetail: readonly string[];
}

export interface WorkloadOptions {
  readonly client: SluiceClient;
  readonly drive: string;
  readonly random: SeededRandom;
  /** Uploads at a time. @default 3 */
  readonly concurrency?: number;
  /** Largest file. @default 24 MiB */
  readonly maxSize?: number;
  /** How calls are retried; a client under faults is patient. */
  readonly retry?: RetryOptions;
  readonly log: (message: string) => void;
}

/** A running workload: uploads start until {@link Workload.stop}, at least `minUploads` of them. */
export class Workload {
  readonly uploads: UploadRecord[] = [];
  readonly #o: WorkloadOptions;
  readonly #retry: RetryOptions;
  #stopping = false;
  #workers: Promise<void>[] = [];

  constructor(options: WorkloadOptions) {
    this.#o = options;
    this.#retry = options.retry ?? { maxAttempts: 14, maxDelayMs: 5_000 };
  }

  start(minUploads: number): void {
    const worker = async (): Promise<void> => {
      while (!this.#stopping || this.uploads.length < minUploads) await this.#runOne();
    };
    this.#workers = Array.from({ length: this.#o.concurrency ?? 3 }, () => worker());
  }

  /** Starts no more uploads and resolves once the running ones have sealed or given up. */
  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#workers);
  }

  /**
   * Follows every upload to its final state (within `deadlineMs` in all), reads back the ones
   * that completed, and sorts each into an outcome.
   */
  async settle(s3: S3Client, deadlineMs: number): Promise<WorkloadSummary> {
    const deadline = AbortSignal.timeout(deadlineMs);
    // 16 at a time: hundreds of watches and reads at once would only queue in the clients.
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < this.uploads.length)
          await this.#settleOne(this.uploads[next++] as UploadRecord, s3, deadline);
      }),
    );
    const reasons = new Map<string, number>();
    const lostDetail: string[] = [];
    for (const u of this.uploads) {
      if (u.outcome === 'failed') {
        // What the client was told when it stopped, else how the upload ended.
        const told = u.clientError === undefined ? undefined : `client told ${u.clientError}`;
        const reason = (told ?? u.finalState ?? '').replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, '<id>');
        reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      }
      if (u.outcome === 'lost' || u.outcome === 'corrupt') {
        lostDetail.push(
          `${u.outcome}: upload ${u.uploadId ?? '(none)'} of ${u.size} B in ${u.chunkSize} B chunks, ` +
            `${u.chunksAcked} chunks acknowledged, ${u.sealed ? 'sealed' : 'not sealed'}` +
            `${u.clientError ? `, client: ${u.clientError}` : ''}${u.finalState ? `, final: ${u.finalState}` : ''}`,
        );
      }
    }
    const count = (o: Outcome): number => this.uploads.filter((u) => u.outcome === o).length;
    return {
      started: this.uploads.length,
      chunksAcked: this.uploads.reduce((n, u) => n + u.chunksAcked, 0),
      identical: count('identical'),
      failed: count('failed'),
      lost: count('lost') + count('corrupt'),
      reasons,
      lostDetail,
    };
  }

  async #runOne(): Promise<void> {
    const { client, drive, random } = this.#o;
    const size = pickSize(random, this.#o.maxSize ?? 24 * MiB);
    const chunkSize = random.int(64 * KiB, 4 * MiB);
    const data = randomBytes(size);
    const record: UploadRecord = {
      size,
      chunkSize,
      sha256: createHash('sha256').update(data).digest('hex'),
      chunksAcked: 0,
      sealed: false,
    };
    this.uploads.push(record);
    const total = Math.max(1, Math.ceil(size / chunkSize));
    // Every chunk once, in a shuffled order, and about one in six a second time.
    const order = random.shuffle([
      ...Array.from({ length: total }, (_, n) => n),
      ...Array.from({ length: total }, (_, n) => n).filter(() => random.int(0, 5) === 0),
    ]);
    const retry = { retry: this.#retry };
    try {
      const started = await withRetry(
        'InitiateUpload',
        () =>
          client.initiate({
            drive,
            filename: `fault-${this.uploads.length}.bin`,
            sizeHint: size,
            fixedChunkSize: chunkSize,
            clientRequestId: randomUUID(),
          }),
        retry,
      );
      const uploadId = started.uploadId;
      record.uploadId = uploadId;
      let next = 0;
      const sender = async (): Promise<void> => {
        while (next < order.length) {
          const n = order[next++] as number;
          const bytes = data.subarray(n * chunkSize, Math.min(size, (n + 1) * chunkSize));
          await withRetry(
            `UploadChunk ${n}`,
            () =>
              client.uploadChunk(uploadId, n, bytes, {
                stream: random.int(0, 2) === 0,
                sha256: createHash('sha256').update(bytes).digest('hex'),
              }),
            retry,
          );
          record.chunksAcked++;
        }
      };
      await Promise.all([sender(), sender(), sender()]);
      await withRetry('CompleteUpload', () => client.complete(uploadId, total, record.sha256), retry);
      record.sealed = true;
    } catch (err) {
      const error = toSluiceError(err);
      record.clientError = `${error.code}: ${error.message}`;
      this.#o.log(
        `upload ${record.uploadId ?? '(not started)'} stopped at the client: ${record.clientError}`,
      );
    }
  }

  async #settleOne(u: UploadRecord, s3: S3Client, deadline: AbortSignal): Promise<void> {
    const { client } = this.#o;
    const patient = { signal: deadline, retry: { maxAttempts: 1_000, maxDelayMs: 2_000 } };
    if (u.uploadId === undefined) {
      u.outcome = explained(u.clientError) ? 'failed' : 'lost';
      return;
    }
    const uploadId = u.uploadId;
    try {
      if (!u.sealed) {
        // The client gave up before its seal was answered. The seal may still have been taken.
        const now = await withRetry(`GetUploadStatus ${uploadId}`, () => client.status(uploadId), patient);
        const open =
          now.status === UploadStatus.UPLOAD_STATUS_INITIATED ||
          now.status === UploadStatus.UPLOAD_STATUS_UPLOADING;
        if (open) {
          // Told why at the client, and abandoned: a real client resumes or aborts. Abort it.
          u.finalState = `${statusName(now.status)}, abandoned by the client`;
          u.outcome = explained(u.clientError) ? 'failed' : 'lost';
          await client.abort(uploadId, 'fault run: abandoned by the client').catch(() => undefined);
          return;
        }
      }
      const state = await waitForUpload(client, uploadId, patient);
      u.finalState =
        `${statusName(state.status)}` +
        (state.errorCode || state.errorMessage ? ` (${state.errorCode}: ${state.errorMessage})` : '');
      if (state.status !== UploadStatus.UPLOAD_STATUS_COMPLETED) {
        u.outcome = FINAL_STATUSES.has(state.status) && state.errorMessage !== '' ? 'failed' : 'lost';
        return;
      }
      u.outcome = (await objectSha256(s3, state.bucket, state.key)) === u.sha256 ? 'identical' : 'corrupt';
    } catch (err) {
      const error = toSluiceError(err);
      if (!u.sealed && explained(u.clientError) && error.code === 'UPLOAD_NOT_FOUND') {
        // Never sealed, the client was told why, and the server no longer knows it.
        u.finalState = `gone: ${error.message}`;
        u.outcome = 'failed';
        return;
      }
      u.finalState = `no final state: ${error.code}: ${error.message}`;
      u.outcome = 'lost';
    }
  }
}

/** A client error counts as stated when it carries a code other than INTERNAL and a message. */
function explained(clientError: string | undefined): boolean {
  return clientError !== undefined && !clientError.startsWith('INTERNAL') && clientError.length > 12;
}

/** 1 in 10 tiny (≤ 1 KiB), 4 small (≤ 1 MiB), 5 up to `max`. */
function pickSize(random: SeededRandom, max: number): number {
  const band = random.int(0, 9);
  if (band === 0) return random.int(1, KiB);
  if (band <= 4) return random.int(KiB, MiB);
  return random.int(MiB, max);
}

async function objectSha256(s3: S3Client, bucket: string, key: string): Promise<string> {
  const object = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  const hash = createHash('sha256');
  for await (const piece of object.Body as AsyncIterable<Uint8Array>) hash.update(piece);
  return hash.digest('hex');
}

/**
 * S3 bandwidth over one connection: each client's HTTP agent holds a single keep-alive socket,
 * so the figure is what one connection to the configured S3 server (`SLUICE_S3_*`, the local
 * one by default) carries, and what it costs the client in CPU.
 *
 *   bash infra/local/node.sh node bench/src/s3-connection.ts [--seconds 15] [--connections 1] [--part-mib 8]
 *
 * Two phases of `--seconds` each: UploadPart of `--part-mib` parts into one multipart upload
 * (each connection takes the next part number), then PutObject of objects of the same size.
 * Each connection sends its next request when the previous one is answered. Bodies go the way
 * part-writer sends them: a stream of 1 MiB pieces with a Content-Length and no checksum
 * computed by the SDK, so the signer sends UNSIGNED-PAYLOAD and the client hashes nothing.
 * Client CPU is process.cpuUsage over the phase; the S3 server's CPU is not in it. The multipart
 * upload is aborted and the objects deleted at the end, also after a failure or Ctrl-C.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { performance } from 'node:perf_hooks';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { requireServices, s3Client, s3Settings } from '@sluice/testing';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
/** S3 takes at most 10,000 parts in one multipart upload. */
const MAX_PARTS = 10_000;
const argv = process.argv.slice(2);
const flag = (name: string, fallback: number): number => {
  const at = argv.indexOf(name);
  const value = at >= 0 ? Number(argv[at + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`${name} ${argv[at + 1]} is not a positive number: give e.g. ${name} ${fallback}`);
  }
  return value;
};
const seconds = flag('--seconds', 15);
const connections = Math.floor(flag('--connections', 1));
const partBytes = Math.floor(flag('--part-mib', 8) * MiB);
if (partBytes < 5 * MiB)
  throw new Error('--part-mib must be at least 5: S3 refuses smaller parts but the last');

interface Phase {
  readonly requests: number;
  readonly bytes: number;
  readonly seconds: number;
  readonly mbps: number;
  readonly mbps_per_connection: number;
  readonly p50_ms: number;
  readonly client_cpu_s_per_gib: number;
}

/** One client per connection, each limited to one socket. */
const oneSocketClient = (): S3Client =>
  s3Client({
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
    requestHandler: {
      httpAgent: new Agent({ keepAlive: true, maxSockets: 1 }),
      httpsAgent: new HttpsAgent({ keepAlive: true, maxSockets: 1 }),
    },
  });

const data = randomBytes(partBytes);
const body = (): Readable =>
  Readable.from(
    Array.from({ length: Math.ceil(partBytes / MiB) }, (_, i) => data.subarray(i * MiB, (i + 1) * MiB)),
    { objectMode: false },
  );

/** Runs `send` back to back on every client until `seconds` have passed; one request in flight each. */
async function phase(
  clients: readonly S3Client[],
  send: (client: S3Client, signal: AbortSignal) => Promise<unknown>,
  signal: AbortSignal,
): Promise<Phase> {
  const latencies: number[] = [];
  // The first failure stops the other connections too, before cleanup starts.
  const failed = new AbortController();
  const any = AbortSignal.any([signal, failed.signal]);
  const cpu = process.cpuUsage();
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  let firstFailure: Error | undefined;
  await Promise.allSettled(
    clients.map(async (client) => {
      try {
        while (performance.now() < deadline && !any.aborted) {
          const start = performance.now();
          await send(client, any);
          latencies.push(performance.now() - start);
        }
      } catch (err) {
        firstFailure ??= err as Error;
        failed.abort();
      }
    }),
  );
  if (firstFailure !== undefined) throw firstFailure;
  const elapsed = (performance.now() - t0) / 1000;
  const used = process.cpuUsage(cpu);
  const bytes = latencies.length * partBytes;
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    bytes,
    seconds: elapsed,
    mbps: bytes / 1e6 / elapsed,
    mbps_per_connection: bytes / 1e6 / elapsed / clients.length,
    p50_ms: latencies[Math.floor(latencies.length / 2)] ?? Number.NaN,
    client_cpu_s_per_gib: (used.user + used.system) / 1e6 / (bytes / GiB),
  };
}

await requireServices(['s3']);
const settings = s3Settings();
const prefix = `bench/s3-connection/${randomUUID().slice(0, 8)}/`;
const multipartKey = `${prefix}multipart`;
const clients = Array.from({ length: connections }, oneSocketClient);
const cleanup = s3Client();
const stop = new AbortController();
process.once('SIGINT', () => stop.abort());
// A request that hangs cannot hold the run past its phases by more than a minute.
const signal = AbortSignal.any([stop.signal, AbortSignal.timeout((2 * seconds + 60) * 1000)]);
let uploadId: string | undefined;
const putKeys: string[] = [];
try {
  const created = await cleanup.send(
    new CreateMultipartUploadCommand({ Bucket: settings.bucket, Key: multipartKey }),
  );
  uploadId = created.UploadId;
  if (uploadId === undefined)
    throw new Error(`CreateMultipartUpload of ${multipartKey} answered without an UploadId`);
  let nextPart = 1;
  const uploadPart = await phase(
    clients,
    async (client, s) => {
      // Past S3's last part number the same parts are replaced: the bytes still cross the connection.
      const partNumber = ((nextPart++ - 1) % MAX_PARTS) + 1;
      await client.send(
        new UploadPartCommand({
          Bucket: settings.bucket,
          Key: multipartKey,
          UploadId: uploadId,
          PartNumber: partNumber,
          ContentLength: partBytes,
          Body: body(),
        }),
        { abortSignal: s },
      );
    },
    signal,
  );
  const putObject = await phase(
    clients,
    async (client, s) => {
      const key = `${prefix}object-${putKeys.length}`;
      putKeys.push(key);
      await client.send(
        new PutObjectCommand({ Bucket: settings.bucket, Key: key, ContentLength: partBytes, Body: body() }),
        { abortSignal: s },
      );
    },
    signal,
  );
  const result = {
    what: 's3-connection',
    date: new Date().toISOString(),
    endpoint: settings.endpoint,
    connections,
    request_mib: partBytes / MiB,
    seconds_per_phase: seconds,
    upload_part: uploadPart,
    put_object: putObject,
  };
  console.log(JSON.stringify(result));
  const line = (name: string, p: Phase): string =>
    `${name} ${p.mbps_per_connection.toFixed(0)} MB/s per connection (${p.mbps.toFixed(0)} MB/s over ${connections}), ` +
    `${p.requests} requests, p50 ${p.p50_ms.toFixed(0)} ms, client ${p.client_cpu_s_per_gib.toFixed(2)} CPU s/GiB`;
  console.log(
    `${settings.endpoint}, ${partBytes / MiB} MiB requests: ${line('UploadPart', uploadPart)}; ${line('PutObject', putObject)}`,
  );
} catch (err) {
  if (!stop.signal.aborted) throw err;
  process.exitCode = 130;
} finally {
  const aborted = stop.signal.aborted;
  for (const client of clients) client.destroy();
  const cleaned = await Promise.allSettled([
    ...(uploadId === undefined
      ? []
      : [
          cleanup.send(
            new AbortMultipartUploadCommand({
              Bucket: settings.bucket,
              Key: multipartKey,
              UploadId: uploadId,
            }),
          ),
        ]),
    ...putKeys.map((Key) => cleanup.send(new DeleteObjectCommand({ Bucket: settings.bucket, Key }))),
  ]);
  cleanup.destroy();
  const left = cleaned.filter((c) => c.status === 'rejected').length;
  if (left > 0)
    process.stderr.write(`${left} cleanup request(s) failed: look under s3://${settings.bucket}/${prefix}\n`);
  if (aborted) process.stderr.write('interrupted: the multipart upload is aborted and the objects deleted\n');
}

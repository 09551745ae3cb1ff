/**
 * Ceilings measured in the same run: Redis SET of one staging segment (redis-benchmark), the
 * grpc-js server that discards UploadChunk bytes, and a plain node:http2 sink — what the
 * store and the transport allow before any Sluice code runs.
 */
import { execFile } from 'node:child_process';
import { connect, constants } from 'node:http2';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { Metadata } from '@grpc/grpc-js';
import { UploadChunkRequest, type IntakeServiceClient } from '@sluice/proto';
import type { LatencyHistogram } from './latency.ts';

const run = promisify(execFile);

/** MB/s of redis-benchmark SET with `valueSize` values from `clients` connections. */
export async function redisSetMbps(
  url: string,
  valueSize: number,
  clients: number,
  requests: number,
): Promise<number> {
  const u = new URL(url);
  const { stdout } = await run('redis-benchmark', [
    '-h',
    u.hostname,
    '-p',
    u.port || '6379',
    '-t',
    'set',
    '-d',
    String(valueSize),
    '-c',
    String(clients),
    '-n',
    String(requests),
    '-q',
  ]);
  const rps = /SET:\s+([\d.]+) requests per second/.exec(stdout)?.[1];
  if (rps === undefined) throw new Error(`redis-benchmark printed no SET rate: ${stdout.trim()}`);
  return (Number(rps) * valueSize) / 1e6;
}

/** Sends `calls` bodies of `data` with `concurrency` in flight; MB/s. */
async function closedLoop(
  calls: number,
  concurrency: number,
  bytes: number,
  send: () => Promise<void>,
  acks?: LatencyHistogram,
): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < calls) {
        const s = performance.now();
        await send();
        acks?.record(performance.now() - s);
      }
    }),
  );
  return (calls * bytes) / 1e6 / ((performance.now() - t0) / 1000);
}

/** UploadChunk against the discard server; MB/s. */
export function grpcDiscardMbps(
  client: IntakeServiceClient,
  data: Buffer,
  calls: number,
  concurrency: number,
  acks?: LatencyHistogram,
): Promise<number> {
  const md = new Metadata();
  const send = () =>
    new Promise<void>((resolve, reject) =>
      client.uploadChunk(
        UploadChunkRequest.fromPartial({ uploadId: 'discard', chunkNumber: 0, data }),
        md,
        (err) => (err ? reject(err) : resolve()),
      ),
    );
  return closedLoop(calls, concurrency, data.length, send, acks);
}

/** POSTs to the http2 sink; MB/s. */
export async function http2SinkMbps(
  port: number,
  data: Buffer,
  calls: number,
  concurrency: number,
): Promise<number> {
  const session = connect(`http://127.0.0.1:${port}`, {
    settings: { initialWindowSize: 16 * 1024 * 1024 },
    maxSessionMemory: 1024,
  });
  try {
    const send = () =>
      new Promise<void>((resolve, reject) => {
        const req = session.request({
          [constants.HTTP2_HEADER_METHOD]: 'POST',
          [constants.HTTP2_HEADER_PATH]: '/',
        });
        req.on('error', reject);
        req.on('response', () => undefined);
        req.resume();
        req.on('end', resolve);
        req.end(data);
      });
    return await closedLoop(calls, concurrency, data.length, send);
  } finally {
    session.close();
  }
}

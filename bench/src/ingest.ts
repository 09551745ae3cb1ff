/**
 * ingest-api's acknowledgement: latency (p50/p95/p99) and MB/s of UploadChunk for 1, 4
 * and 16 MiB chunks at 1, 8 and 32 calls in flight, each beside the same calls against a
 * grpc-js server of the same service that discards the bytes — in the same run, on the
 * same machine, client and servers in separate processes. An ingest ACK means: bytes
 * hashed (SHA-256 + CRC64/NVME), staged in Redis as 1 MiB segments, the chunk record
 * committed, and its ChunkUploaded event durable in Kafka (acks=all).
 *
 *   bash infra/local/node.sh node bench/src/ingest.ts [--quick] [--client-rtt-ms N] [--out bench/results/ingest.json]
 *
 * `--client-rtt-ms N` puts a network between the client and both servers: Toxiproxy adds N ms to
 * each round trip (half each way), so flow control and window updates cost what they cost when
 * the client is elsewhere. Without it the client reaches them on loopback.
 *
 * Closed loop: each of the C workers sends its next chunk when the previous one is
 * acknowledged. Scenarios alternate which server goes first. Staged bytes are deleted
 * after each scenario (no part-writer runs here), so Redis never fills.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { credentials, Metadata } from '@grpc/grpc-js';
import {
  InitiateUploadRequest,
  IntakeServiceChunkClient,
  UploadChunkRequest,
  type IntakeServiceClient,
} from '@sluice/proto';
import { EVENT_TOPICS } from '@sluice/schema-registry';
import { RedisStaging } from '@sluice/staging';
import {
  freePort,
  kafkaAdmin,
  requireServices,
  s3Settings,
  serviceUrl,
  stopProcess,
  waitForReady,
  type ToxicLink,
} from '@sluice/testing';
import { Redis } from 'ioredis';
import { node } from './lib/processes.ts';
import { shapedLink } from './lib/shaped-link.ts';
import { writeTenantsFile } from './lib/sluice-stack.ts';
import { summarize, table, type RunStats } from './lib/stats.ts';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const outAt = argv.indexOf('--out');
const out = outAt >= 0 ? (argv[outAt + 1] ?? '') : join(import.meta.dirname, '..', 'results', 'ingest.json');
const rttAt = argv.indexOf('--client-rtt-ms');
const clientRttMs = rttAt >= 0 ? Number(argv[rttAt + 1]) : 0;
if (!(clientRttMs >= 0 && clientRttMs <= 10_000)) {
  process.stderr.write(
    `--client-rtt-ms ${argv[rttAt + 1]} is not a round trip in ms from 0 to 10000: give e.g. --client-rtt-ms 20\n`,
  );
  process.exit(2);
}
const root = join(import.meta.dirname, '..', '..');
const MiB = 1024 * 1024;
const SIZES = quick ? [1, 16] : [1, 4, 16];
const CONCURRENCY = quick ? [1, 8] : [1, 8, 32];
/**
 * Calls per scenario: enough for a p99, bounded in bytes so the run stays short and the
 * staged bytes (deleted only after the scenario) stay under Redis's high watermark: past
 * it, ingest rightly refuses chunks, and a refusal is not an ACK to time.
 */
const callsFor = (mib: number, c: number): number =>
  Math.max(c * 2, Math.min(quick ? 60 : 200, Math.floor(768 / mib)));

await requireServices(['redis', 'kafka', 'apicurio', ...(clientRttMs > 0 ? (['toxiproxy'] as const) : [])]);
const dir = mkdtempSync(join(tmpdir(), 'sluice-bench-'));
const apiKey = randomUUID();
const tenantsFile = writeTenantsFile(dir, apiKey);
const s3 = s3Settings();
const namespace = `bench-${randomUUID().slice(0, 8)}`;
const topicPrefix = `${namespace}.`;
const [grpcPort, httpPort, discardPort] = [await freePort(), await freePort(), await freePort()];
const ingest = node(join(root, 'apps/ingest-api/src/main.ts'), [], {
  SLUICE_LOG_LEVEL: 'warn',
  SLUICE_INGEST_PORT: String(grpcPort),
  SLUICE_INGEST_HTTP_PORT: String(httpPort),
  SLUICE_TENANTS_FILE: tenantsFile,
  SLUICE_REDIS_NAMESPACE: namespace,
  SLUICE_TOPIC_PREFIX: topicPrefix,
  SLUICE_KAFKA_PARTITIONS: '3',
  SLUICE_S3_ACCESS_KEY: s3.accessKeyId,
  SLUICE_S3_SECRET_KEY: s3.secretAccessKey,
});
const discard = node(join(import.meta.dirname, 'lib', 'discard-server.ts'), [String(discardPort)]);
const redis = new Redis(serviceUrl('redis'));
const staging = new RedisStaging({ redis, namespace });
const links: ToxicLink[] = [];
/** Where the client reaches the server on `port`: through a shaped link when a round trip is asked for. */
async function reach(name: string, port: number): Promise<string> {
  if (clientRttMs === 0) return `127.0.0.1:${port}`;
  const link = await shapedLink(`${namespace}-${name}`, `127.0.0.1:${port}`, { rttMs: clientRttMs });
  links.push(link);
  return link.listen;
}

try {
  await waitForReady(`http://127.0.0.1:${httpPort}/readyz`, { child: ingest, name: 'ingest-api' });
  const options = { 'grpc.max_send_message_length': 80 * MiB, 'grpc.max_receive_message_length': 80 * MiB };
  const clients = {
    ingest: new IntakeServiceChunkClient(
      await reach('ingest', grpcPort),
      credentials.createInsecure(),
      options,
    ),
    discard: new IntakeServiceChunkClient(
      await reach('discard', discardPort),
      credentials.createInsecure(),
      options,
    ),
  };
  const md = new Metadata();
  md.set('authorization', `Bearer ${apiKey}`);

  const initiate = (client: IntakeServiceClient) =>
    new Promise<string>((resolve, reject) =>
      client.initiateUpload(InitiateUploadRequest.fromPartial({ drive: 'bench' }), md, (err, res) =>
        err ? reject(err) : resolve(res?.uploadId ?? ''),
      ),
    );

  async function run(target: 'ingest' | 'discard', mib: number, concurrency: number): Promise<RunStats> {
    const client = clients[target];
    const uploadId = await initiate(client);
    const data = randomBytes(mib * MiB);
    const calls = callsFor(mib, concurrency);
    let next = 0;
    let errors = 0;
    const latencies: number[] = [];
    const send = (chunkNumber: number) =>
      new Promise<void>((resolve) => {
        const t0 = performance.now();
        client.uploadChunk(UploadChunkRequest.fromPartial({ uploadId, chunkNumber, data }), md, (err) => {
          if (err) errors++;
          else latencies.push(performance.now() - t0);
          resolve();
        });
      });
    for (let i = 0; i < 3; i++) await send(next++); // warm-up, untimed
    latencies.length = 0;
    const first = next;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < first + calls) await send(next++);
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    if (target === 'ingest') await staging.deleteUpload(uploadId);
    return summarize(latencies, latencies.length * mib * MiB, seconds, errors);
  }

  const results: { mib: number; concurrency: number; ingest: RunStats; discard: RunStats }[] = [];
  let flip = false;
  for (const mib of SIZES) {
    for (const concurrency of CONCURRENCY) {
      flip = !flip;
      const first = flip ? 'ingest' : 'discard';
      const a = await run(first, mib, concurrency);
      const b = await run(flip ? 'discard' : 'ingest', mib, concurrency);
      const [ingestStats, discardStats] = flip ? [a, b] : [b, a];
      results.push({ mib, concurrency, ingest: ingestStats, discard: discardStats });
      process.stderr.write(
        `  ${mib} MiB × ${concurrency}: ingest ${ingestStats.mbps.toFixed(0)} MB/s, discard ${discardStats.mbps.toFixed(0)} MB/s\n`,
      );
    }
  }
  clients.ingest.close();
  clients.discard.close();

  const rows = results.map((r) => [
    `${r.mib} MiB`,
    r.concurrency,
    r.ingest.p50,
    r.ingest.p95,
    r.ingest.p99,
    r.ingest.mbps,
    r.discard.p50,
    r.discard.p95,
    r.discard.p99,
    r.discard.mbps,
    r.ingest.mbps / r.discard.mbps,
    r.ingest.p95 / r.discard.p95,
    r.ingest.errors + r.discard.errors,
  ]);
  console.log(
    table(
      [
        'chunk',
        'in flight',
        'ingest p50 ms',
        'p95',
        'p99',
        'MB/s',
        'discard p50 ms',
        'p95',
        'p99',
        'MB/s',
        'MB/s ratio',
        'p95 ratio',
        'failed calls',
      ],
      rows,
    ),
  );
  const at = (mib: number, c: number) => results.find((r) => r.mib === mib && r.concurrency === c);
  const r16c8 = at(16, 8);
  const r16c1 = at(16, 1);
  const summary = {
    machine: {
      cores: cpus().length,
      memoryGiB: Math.round(totalmem() / 1024 ** 3),
      node: process.version,
      date: new Date().toISOString(),
    },
    client_rtt_ms: clientRttMs,
    throughput_ratio_16mib_c8: r16c8 ? r16c8.ingest.mbps / r16c8.discard.mbps : null,
    p95_ratio_16mib_c1: r16c1 ? r16c1.ingest.p95 / r16c1.discard.p95 : null,
    ack_p95_ms_16mib_c1: r16c1?.ingest.p95 ?? null,
    results,
  };
  if (clientRttMs > 0)
    console.log(`\nthe client reached both servers through Toxiproxy, ${clientRttMs} ms round trip`);
  console.log(
    `\nthroughput at 16 MiB × 8: ingest ÷ discard = ${summary.throughput_ratio_16mib_c8?.toFixed(2)} (target ≥ 0.8)` +
      `\np95 at 16 MiB × 1: ingest ÷ discard = ${summary.p95_ratio_16mib_c1?.toFixed(2)} (target ≤ 2)` +
      `\nACK p95 for a 16 MiB chunk, 1 in flight: ${summary.ack_p95_ms_16mib_c1?.toFixed(1)} ms (the provisional reference is 20 ms)`,
  );
  if (out) {
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, `${JSON.stringify(summary, null, 2)}\n`);
  }
} finally {
  await Promise.all([stopProcess(ingest), stopProcess(discard), ...links.map((l) => l.remove())]);
  await redis.quit();
  const admin = kafkaAdmin();
  await admin
    .deleteTopics({ topics: EVENT_TOPICS.flatMap((t) => [`${topicPrefix}${t}`, `${topicPrefix}${t}.dlq`]) })
    .catch(() => undefined)
    .finally(() => admin.close());
}

/**
 * The end-to-end benchmark: Sluice (all four apps as child processes on the real Redis, Kafka,
 * MySQL and S3 server) against its peers on the same files, the same S3 server and bucket, in
 * the same run — `@aws-sdk/lib-storage` Upload and a tus server — beside the ceilings the
 * machine sets (Redis SET of one segment, a grpc-js server that discards the bytes, a plain
 * node:http2 sink). Every claim is a ratio between figures taken here, minutes apart.
 *
 *   npm run bench [-- --quick] [-- --open-loop <chunks/s>] [-- --out <dir>]
 *                 [-- --profiles local,wan] [-- --wan-rtt-ms 40] [-- --wan-mbps 50]
 *                 [-- --warm-up-mib 128]
 *
 * Per S3 link profile and cell (file size × chunk size × client concurrency, a few files each):
 * ingest ACK latency (HDR histogram), the client's time (first chunk → last ACK, → seal
 * answered), the time to the object in S3 and to UploadCompleted, end-to-end MB/s, and CPU
 * seconds and peak RSS of every app; lib-storage and tus on the same link. `local` reaches S3
 * directly. `wan` puts Toxiproxy between every S3 client and the S3 server (the Sluice apps,
 * lib-storage, the tus server): `--wan-rtt-ms` of round trip (half each way) and
 * `--wan-mbps` MB/s per connection each way. Before a profile's cells, `--warm-up-mib` of
 * unmeasured uploads go through Sluice and lib-storage (0 for none). Writes latest.json,
 * latest.md and SVG plots to bench/results/.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { credentials } from '@grpc/grpc-js';
import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { ChunkChannel } from '@sluice/client';
import { IntakeServiceChunkClient, type IntakeServiceClient } from '@sluice/proto';
import {
  emptyBucket,
  freePort,
  requireServices,
  s3Client,
  s3Settings,
  serviceEndpoint,
  serviceUrl,
  stopProcess,
  type ToxicLink,
} from '@sluice/testing';
import { grpcDiscardMbps, http2SinkMbps, redisSetMbps } from './lib/ceilings.ts';
import { LatencyHistogram, type LatencySummary } from './lib/latency.ts';
import { shapedLink } from './lib/shaped-link.ts';
import { libStorageUpload, tusUpload } from './lib/peers.ts';
import { measure, pidListeningOn, type ProcessUsage } from './lib/proc-usage.ts';
import { node } from './lib/processes.ts';
import { OutcomeWatch } from './lib/outcome-watch.ts';
import { benchDrive, startSluice, type SluiceStack } from './lib/sluice-stack.ts';
import { uploadToSluice } from './lib/sluice-upload.ts';
import { table } from './lib/stats.ts';
import { barChart } from './lib/svg.ts';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const flag = (name: string): string | undefined => {
  const at = argv.indexOf(name);
  return at >= 0 ? argv[at + 1] : undefined;
};
/**
 * Unmeasured MiB each of Sluice and lib-storage upload on a profile's link before its first cell:
 * the profile's stack is new and Kafka may be too, and without it the first cell measures the JIT
 * compilers of the apps, of Kafka's JVM and of the bench's own lib-storage path as well.
 */
const warmUpMiB = Number(flag('--warm-up-mib') ?? (quick ? 64 : 128));
const openLoopRate = flag('--open-loop') === undefined ? undefined : Number(flag('--open-loop'));
const outDir = flag('--out') ?? join(import.meta.dirname, '..', 'results');
type Profile = 'local' | 'wan';
const profiles = (flag('--profiles') ?? 'local,wan').split(',').map((p) => p.trim());
const wanLink = { rttMs: Number(flag('--wan-rtt-ms') ?? 40), mbps: Number(flag('--wan-mbps') ?? 50) };
if (
  profiles.length === 0 ||
  !profiles.every((p): p is Profile => p === 'local' || p === 'wan') ||
  !(wanLink.rttMs >= 0) ||
  !(wanLink.mbps > 0) ||
  !(Number.isInteger(warmUpMiB) && warmUpMiB >= 0)
) {
  process.stderr.write(
    '--profiles takes local and/or wan (comma-separated); --wan-rtt-ms a number ≥ 0; --wan-mbps a number > 0; ' +
      '--warm-up-mib a whole number ≥ 0\n',
  );
  process.exit(2);
}

interface Cell {
  readonly fileMiB: number;
  readonly chunkMiB: number;
  readonly concurrency: number;
  readonly files: number;
}
/** Enough files per cell for a tail worth reading: about 256 MiB per contender (128 quick). */
const filesFor = (fileMiB: number): number => Math.max(2, Math.ceil((quick ? 128 : 256) / fileMiB));
const matrix = (files: number[], chunks: number[], conc: number[]): Cell[] =>
  files.flatMap((fileMiB) =>
    chunks.flatMap((chunkMiB) =>
      conc.map((concurrency) => ({ fileMiB, chunkMiB, concurrency, files: filesFor(fileMiB) })),
    ),
  );
const ALL_CELLS: Cell[] = quick ? matrix([16], [4], [4]) : matrix([16, 128], [4, 8], [4, 8]);
/** 16 MiB chunks one at a time: the ACK figure the project tracks (`ack_p95_ms_16mib_c1`). */
const ACK_CELL: Cell = { fileMiB: quick ? 64 : 128, chunkMiB: 16, concurrency: 1, files: 4 };
const label = (c: Cell): string => `${c.fileMiB}M/${c.chunkMiB}M/c${c.concurrency}`;
// `--cells 128M/8M/c8,...` runs only the cells named, to look at one closely; the ratios of a
// cell not run are left out of the results.
const onlyCells = flag('--cells')
  ?.split(',')
  .map((c) => c.trim())
  .filter((c) => c !== '');
const unknownCell = onlyCells?.find((c) => ![...ALL_CELLS, ACK_CELL].some((cell) => label(cell) === c));
if (unknownCell !== undefined || onlyCells?.length === 0) {
  process.stderr.write(
    `--cells: ${unknownCell === undefined ? 'name at least one cell' : `no cell ${unknownCell}`}; ` +
      `cells${quick ? ' (quick)' : ''}: ${[...ALL_CELLS, ACK_CELL].map(label).join(', ')}\n`,
  );
  process.exit(2);
}
const CELLS = onlyCells ? ALL_CELLS.filter((c) => onlyCells.includes(label(c))) : ALL_CELLS;
const runAckCell = onlyCells === undefined || onlyCells.includes(label(ACK_CELL));
const HEADLINE = quick
  ? ALL_CELLS[0]
  : ALL_CELLS.find((c) => c.fileMiB === 128 && c.chunkMiB === 8 && c.concurrency === 8);

interface CellResult {
  readonly profile: Profile;
  readonly cell: Cell;
  readonly bytes: number;
  readonly ack: LatencySummary;
  readonly ingest_mbps: number;
  readonly sluice_e2e_mbps: number;
  readonly first_chunk_to_completed_s: number;
  /** Per file: first chunk → last ACK, → seal answered (the client is done), → object in S3, → UploadCompleted. */
  readonly sluice_last_ack_s: number;
  readonly sluice_seal_s: number;
  readonly sluice_object_s: number;
  readonly sluice_completed_s: number;
  /** Per file: lib-storage's Upload from start to the object in S3 (its client is done then too). */
  readonly libstorage_s: number;
  readonly backpressure_retries: number;
  readonly sluice_cpu_s: number;
  readonly apps: ProcessUsage[];
  /** The services' CPU while Sluice ran the cell: Redis, Kafka, the S3 server, MariaDB, Toxiproxy. */
  readonly sluice_services: ProcessUsage[];
  readonly libstorage_mbps: number;
  readonly libstorage_cpu_s: number;
  /** The same services while lib-storage ran the cell. */
  readonly libstorage_services: ProcessUsage[];
  readonly tus_mbps: number;
  readonly tus_cpu_s: number;
  readonly discard_mbps: number;
  readonly discard_ack: LatencySummary;
  readonly http2_sink_mbps: number;
}

const clientCpu = (): { finish(): number } => {
  const start = process.cpuUsage();
  return {
    finish: () => {
      const d = process.cpuUsage(start);
      return (d.user + d.system) / 1e6;
    },
  };
};

await requireServices([
  'redis',
  'kafka',
  'apicurio',
  's3',
  'mysql',
  ...(profiles.includes('wan') ? (['toxiproxy'] as const) : []),
]);
const started = Date.now();
const load = { start: loadavg() };
const runId = randomUUID().slice(0, 8);
const settings = s3Settings();
const s3 = s3Client();
const peerPrefix = `bench/${runId}/`;
/**
 * The services the contenders lean on, found by the port each listens on. Their CPU is not in
 * either side's CPU per GiB; it is reported beside it, since on two cores it is what the apps and
 * lib-storage wait behind.
 */
const servicePids = (['redis', 'kafka', 's3', 'mysql', 'toxiproxy'] as const).flatMap((name) => {
  const pid = pidListeningOn(serviceEndpoint(name).port);
  return pid === undefined ? [] : [{ name, pid }];
});
const grpcOptions = { 'grpc.max_send_message_length': 80 * MiB, 'grpc.max_receive_message_length': 80 * MiB };
process.stderr.write(
  `bench ${quick ? '(quick) ' : ''}run ${runId}, profiles ${profiles.join(', ')}, load average ${load.start.map((l) => l.toFixed(2)).join(' ')}\n`,
);

const failures: string[] = [];
// Before the apps start, so Redis serves redis-benchmark alone.
const redisSet = await redisSetMbps(serviceUrl('redis'), MiB, 4, quick ? 300 : 1000).catch((err: unknown) => {
  failures.push(`redis-benchmark: ${(err as Error).message}`);
  return Number.NaN;
});
const [discardPort, sinkPort, tusPort] = [await freePort(), await freePort(), await freePort()];
const discard = node(join(import.meta.dirname, 'lib', 'discard-server.ts'), [String(discardPort)]);
const sink = node(join(import.meta.dirname, 'lib', 'http2-sink.ts'), [String(sinkPort)]);
const discardClient = new IntakeServiceChunkClient(
  `127.0.0.1:${discardPort}`,
  credentials.createInsecure(),
  grpcOptions,
);

/** One profile's S3 link and the Sluice stack whose drive uses it. */
interface ProfileRun {
  readonly profile: Profile;
  /** Where every contender reaches S3 on this profile. */
  readonly endpoint: string;
  readonly stack: SluiceStack;
  readonly sluiceClient: IntakeServiceClient;
  /** The stack's chunk channel, as @sluice/client sends unary chunks. */
  readonly chunks: ChunkChannel;
  /** The stack's announced outcomes. */
  readonly outcomes: OutcomeWatch;
  /** lib-storage's client, on the profile's link. */
  readonly s3: S3Client;
  close(): Promise<void>;
}

async function openProfile(profile: Profile): Promise<ProfileRun> {
  let link: ToxicLink | undefined;
  if (profile === 'wan') {
    const { host, port } = serviceEndpoint('s3');
    link = await shapedLink(`sluice-bench-s3-${runId}`, `${host}:${port}`, wanLink);
  }
  const endpoint = link ? `http://${link.listen}` : settings.endpoint;
  // As many parts of one upload in flight as lib-storage's queue at the headline cell.
  const stack = await startSluice({
    s3Endpoint: endpoint,
    env: { SLUICE_PART_WRITER_UPLOAD_CONCURRENCY: '8' },
  }).catch(async (err: unknown) => {
    await link?.remove();
    throw err;
  });
  const sluiceClient = new IntakeServiceChunkClient(
    stack.grpcAddress,
    credentials.createInsecure(),
    grpcOptions,
  );
  const chunks = new ChunkChannel(stack.grpcAddress);
  const outcomes = await OutcomeWatch.start(`${stack.topicPrefix}intake.uploads`);
  const contender = link ? s3Client({ endpoint }) : s3;
  return {
    profile,
    endpoint,
    stack,
    sluiceClient,
    chunks,
    outcomes,
    s3: contender,
    close: async () => {
      await outcomes.close();
      sluiceClient.close();
      chunks.close();
      if (contender !== s3) contender.destroy();
      await stack.close();
      await link?.remove();
    },
  };
}

// The apps' CPU at rest (consumer polls, timers) over a few seconds, measured on the first
// profile's stack, so the per-GiB figure can be read with and without this fixed cost.
let idleCpuPerSecond = Number.NaN;
async function measureIdle(run: ProfileRun): Promise<void> {
  const idle = measure(run.stack.apps.map((a) => ({ name: a.name, pid: a.child.pid ?? 0 })));
  await new Promise((r) => setTimeout(r, 3000));
  idleCpuPerSecond = idle.finish().reduce((sum, u) => sum + u.cpuSeconds, 0) / 3;
}
const sluiceKeys: { bucket: string; key: string }[] = [];
const results: CellResult[] = [];

/**
 * Deletes what the run has stored so far: Sluice's objects and everything under the peers'
 * prefix. Called after the warm-up and after every cell, outside what is measured, so the S3
 * server holds one cell's objects at most: the local server slowed down as a run's objects
 * piled up (its CPU per cell rose two- to threefold once a full run had stored 6–7 GB, for
 * Sluice and lib-storage alike), which real S3 does not.
 */
async function removeStored(): Promise<void> {
  const keys = sluiceKeys.splice(0);
  await Promise.all(
    keys.map(({ bucket, key }) =>
      s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })).catch(() => undefined),
    ),
  );
  await emptyBucket(s3, settings.bucket, peerPrefix).catch(() => undefined);
}

/** Sends `warmUpMiB` through Sluice and through lib-storage on `run`'s link, measuring nothing. */
async function warmUp(run: ProfileRun): Promise<void> {
  const fileMiB = 32;
  const chunk = 8 * MiB;
  const data = randomBytes(fileMiB * MiB);
  for (let i = 0; i < Math.ceil(warmUpMiB / fileMiB); i++) {
    const t = await uploadToSluice({
      client: run.sluiceClient,
      chunks: run.chunks,
      apiKey: run.stack.apiKey,
      drive: benchDrive(8),
      s3,
      data,
      chunkSize: chunk,
      concurrency: 8,
      acks: new LatencyHistogram(),
      outcomes: run.outcomes,
    });
    sluiceKeys.push({ bucket: t.bucket, key: t.key });
    await libStorageUpload(
      run.s3,
      settings.bucket,
      `${peerPrefix}warm-up/${run.profile}-${i}`,
      data,
      chunk,
      8,
    );
  }
}

const where = (r: { readonly profile: Profile; readonly cell: Cell }): string =>
  `${r.profile} ${label(r.cell)}`;

async function runCell(cell: Cell, index: number, run: ProfileRun): Promise<CellResult> {
  const { stack, sluiceClient, chunks } = run;
  const chunk = cell.chunkMiB * MiB;
  const files = Array.from({ length: cell.files }, () => randomBytes(cell.fileMiB * MiB));
  const bytes = files.length * cell.fileMiB * MiB;
  // tus takes the part size at server start; one server per cell keeps it matched.
  const tusServer = node(join(import.meta.dirname, 'lib', 'tus-server.ts'), [
    String(tusPort),
    String(Math.max(5 * MiB, chunk)),
    `${peerPrefix}tus/`,
    run.endpoint,
  ]);
  await new Promise((resolve) => tusServer.stdout?.once('data', resolve));

  const sluice = async () => {
    const acks = new LatencyHistogram();
    const usage = measure(stack.apps.map((a) => ({ name: a.name, pid: a.child.pid ?? 0 })));
    const services = measure(servicePids);
    let [ingestS, sealS, e2eS, completedS, retries, client] = [0, 0, 0, 0, 0, 0];
    for (const data of files) {
      const t = await uploadToSluice({
        client: sluiceClient,
        chunks,
        apiKey: stack.apiKey,
        // Parts of lib-storage's size (its floor is 5 MiB), so both send the same requests to S3.
        drive: benchDrive(Math.max(5, cell.chunkMiB)),
        s3,
        data,
        chunkSize: chunk,
        concurrency: cell.concurrency,
        acks,
        outcomes: run.outcomes,
        ...(openLoopRate === undefined ? {} : { ratePerSecond: openLoopRate }),
      });
      sluiceKeys.push({ bucket: t.bucket, key: t.key });
      ingestS += t.ingestSeconds;
      sealS += t.sealSeconds;
      e2eS += t.e2eSeconds;
      completedS += t.completedSeconds;
      retries += t.retries;
      client += t.clientCpuSeconds;
    }
    const apps = [...usage.finish(), { name: 'client', cpuSeconds: client, peakRssMiB: Number.NaN }];
    return {
      acks: acks.summary(),
      ingestS,
      sealS,
      e2eS,
      completedS,
      retries,
      apps,
      services: services.finish(),
    };
  };
  const libStorage = async () => {
    const cpu = clientCpu();
    const services = measure(servicePids);
    let seconds = 0;
    for (const [i, data] of files.entries()) {
      seconds += await libStorageUpload(
        run.s3,
        settings.bucket,
        `${peerPrefix}lib-storage/${index}-${i}`,
        data,
        chunk,
        cell.concurrency,
      );
    }
    return { seconds, cpu: cpu.finish(), services: services.finish() };
  };
  const tus = async () => {
    const usage = measure([{ name: 'tus-server', pid: tusServer.pid ?? 0 }]);
    const cpu = clientCpu();
    let seconds = 0;
    for (const data of files) seconds += await tusUpload(`http://127.0.0.1:${tusPort}/files`, data, chunk);
    return { seconds, cpu: cpu.finish() + usage.finish().reduce((s, u) => s + u.cpuSeconds, 0) };
  };
  // Rotate who goes first so drift on a shared machine does not always favour one side.
  const order = [0, 1, 2].map((k) => (k + index) % 3);
  let s: Awaited<ReturnType<typeof sluice>> | undefined;
  let l: Awaited<ReturnType<typeof libStorage>> | undefined;
  let u: Awaited<ReturnType<typeof tus>> | undefined;
  try {
    for (const k of order) {
      if (k === 0) s = await sluice();
      else if (k === 1) l = await libStorage();
      else u = await tus();
    }
  } finally {
    await stopProcess(tusServer);
  }
  if (s === undefined || l === undefined || u === undefined) throw new Error('a contender did not run');
  const calls = Math.ceil(bytes / chunk);
  const discardAcks = new LatencyHistogram();
  const data = files[0]?.subarray(0, chunk) ?? Buffer.alloc(chunk);
  // A ceiling that fails costs its own figure, not the cell's.
  const ceiling = (what: string) => (err: unknown) => {
    failures.push(`${label(cell)} ${what}: ${(err as Error).message}`);
    return Number.NaN;
  };
  // The ceilings do not touch S3: measured once, on the local profile.
  const local = run.profile === 'local';
  const discardMbps = local
    ? await grpcDiscardMbps(discardClient, data, calls, cell.concurrency, discardAcks).catch(
        ceiling('grpc-js discard'),
      )
    : Number.NaN;
  const sinkMbps = local
    ? await http2SinkMbps(sinkPort, data, calls, cell.concurrency).catch(ceiling('http2 sink'))
    : Number.NaN;
  return {
    profile: run.profile,
    cell,
    bytes,
    ack: s.acks,
    ingest_mbps: bytes / 1e6 / s.ingestS,
    sluice_e2e_mbps: bytes / 1e6 / s.e2eS,
    first_chunk_to_completed_s: s.e2eS / files.length,
    sluice_last_ack_s: s.ingestS / files.length,
    sluice_seal_s: s.sealS / files.length,
    sluice_object_s: s.e2eS / files.length,
    sluice_completed_s: s.completedS / files.length,
    libstorage_s: l.seconds / files.length,
    backpressure_retries: s.retries,
    sluice_cpu_s: s.apps.reduce((sum, a) => sum + a.cpuSeconds, 0),
    apps: s.apps,
    sluice_services: s.services,
    libstorage_mbps: bytes / 1e6 / l.seconds,
    libstorage_cpu_s: l.cpu,
    libstorage_services: l.services,
    tus_mbps: bytes / 1e6 / u.seconds,
    tus_cpu_s: u.cpu,
    discard_mbps: discardMbps,
    discard_ack: discardAcks.summary(),
    http2_sink_mbps: sinkMbps,
  };
}

try {
  for (const profile of profiles) {
    process.stderr.write(
      profile === 'wan'
        ? `profile wan: S3 through Toxiproxy, ${wanLink.rttMs} ms round trip, ${wanLink.mbps} MB/s per connection each way\n`
        : 'profile local: S3 reached directly\n',
    );
    const run = await openProfile(profile);
    try {
      if (Number.isNaN(idleCpuPerSecond)) await measureIdle(run);
      if (warmUpMiB > 0) {
        process.stderr.write(`  ${profile}: warming up, ${warmUpMiB} MiB through Sluice and lib-storage\n`);
        // A warm-up that fails leaves the cells to run cold, and says so; it costs no figure.
        await warmUp(run)
          .catch((err: unknown) => {
            failures.push(`${profile} warm-up: ${(err as Error).message}`);
          })
          .finally(removeStored);
      }
      // The ACK cell measures ingest, which no S3 link changes: local only.
      const cells = profile === 'local' && runAckCell ? [...CELLS, ACK_CELL] : CELLS;
      for (const [i, cell] of cells.entries()) {
        try {
          process.stderr.write(`  ${profile} ${label(cell)}: running\n`);
          const r = await runCell(cell, i, run).finally(removeStored);
          results.push(r);
          process.stderr.write(
            `  ${where(r)} ×${cell.files}: sluice e2e ${r.sluice_e2e_mbps.toFixed(0)} MB/s (ingest ${r.ingest_mbps.toFixed(0)}), ` +
              `client done ${r.sluice_seal_s.toFixed(2)} s, completed ${r.sluice_completed_s.toFixed(2)} s, ` +
              `lib-storage ${r.libstorage_s.toFixed(2)} s (${r.libstorage_mbps.toFixed(0)} MB/s), tus ${r.tus_mbps.toFixed(0)} MB/s, ` +
              `ack p95 ${r.ack.p95.toFixed(1)} ms\n` +
              `    CPU s (of which kernel): ${r.apps
                .map(
                  (a) =>
                    `${a.name} ${a.cpuSeconds.toFixed(2)}` +
                    (a.systemCpuSeconds === undefined ? '' : ` (${a.systemCpuSeconds.toFixed(2)})`),
                )
                .join(', ')}; lib-storage ${r.libstorage_cpu_s.toFixed(2)}\n` +
              `    services' CPU s, while Sluice / while lib-storage ran: ${r.sluice_services
                .map(
                  (u, k) =>
                    `${u.name} ${u.cpuSeconds.toFixed(2)} / ${(r.libstorage_services[k]?.cpuSeconds ?? Number.NaN).toFixed(2)}`,
                )
                .join(', ')}\n`,
          );
        } catch (err) {
          failures.push(`${profile} ${label(cell)}: ${(err as Error).message}`);
          process.stderr.write(`  ${profile} ${label(cell)} failed: ${(err as Error).message}\n`);
        }
      }
    } finally {
      await run.close();
    }
  }
} finally {
  discardClient.close();
  await Promise.all([stopProcess(discard), stopProcess(sink)]);
  await removeStored();
}

const same = (a: Cell, b: Cell | undefined): boolean =>
  b !== undefined && a.fileMiB === b.fileMiB && a.chunkMiB === b.chunkMiB && a.concurrency === b.concurrency;
const head = results.find((r) => r.profile === 'local' && same(r.cell, HEADLINE));
const wanHead = results.find((r) => r.profile === 'wan' && same(r.cell, HEADLINE));
const ackCell = results.find((r) => r.profile === 'local' && same(r.cell, ACK_CELL));
const perGiB = (cpu: number, bytes: number): number => cpu / (bytes / GiB);
// Over every cell: what each app spends per GiB whatever the file, chunk and concurrency mix.
const localResults = results.filter((r) => r.profile === 'local');
const allBytes = localResults.reduce((sum, r) => sum + r.bytes, 0);
const appCpu = new Map<string, number>();
for (const a of localResults.flatMap((r) => r.apps))
  appCpu.set(a.name, (appCpu.get(a.name) ?? 0) + a.cpuSeconds);
/** Each service's CPU per GiB over every local cell, while one side ran. */
const serviceCpuPerGiB = (of: (r: CellResult) => ProcessUsage[]): Record<string, number> => {
  const sums = new Map<string, number>();
  for (const u of localResults.flatMap(of)) sums.set(u.name, (sums.get(u.name) ?? 0) + u.cpuSeconds);
  return Object.fromEntries([...sums].map(([name, cpu]) => [name, perGiB(cpu, allBytes)]));
};
/** The headline cell's times per profile: what the client waits for, and when the file has landed. */
const timings = results
  .filter((r) => same(r.cell, HEADLINE))
  .map((r) => ({
    profile: r.profile,
    client_last_ack_s: r.sluice_last_ack_s,
    client_seal_s: r.sluice_seal_s,
    object_in_s3_s: r.sluice_object_s,
    upload_completed_s: r.sluice_completed_s,
    libstorage_s: r.libstorage_s,
  }));
const summary = {
  machine: {
    cores: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / GiB),
    node: process.version,
    date: new Date().toISOString(),
    loadavg_start: load.start,
    loadavg_end: loadavg(),
  },
  mode: {
    quick,
    open_loop_chunks_per_s: openLoopRate ?? null,
    warm_up_mib: warmUpMiB,
    seconds: (Date.now() - started) / 1000,
  },
  profiles: Object.fromEntries(
    profiles.map((p) => [
      p,
      p === 'wan'
        ? { s3_link: 'toxiproxy', rtt_ms: wanLink.rttMs, mbps_per_connection: wanLink.mbps }
        : { s3_link: 'direct' },
    ]),
  ),
  headline_cell: HEADLINE ?? null,
  sluice_e2e_mbps: head?.sluice_e2e_mbps ?? null,
  sluice_ingest_mbps: head?.ingest_mbps ?? null,
  libstorage_mbps: head?.libstorage_mbps ?? null,
  tus_mbps: head?.tus_mbps ?? null,
  discard_mbps: head?.discard_mbps ?? null,
  http2_sink_mbps: head?.http2_sink_mbps ?? null,
  redis_set_1mib_c4_mbps: Number.isFinite(redisSet) ? redisSet : null,
  ingest_vs_discard_ratio: head ? head.ingest_mbps / head.discard_mbps : null,
  e2e_vs_libstorage_ratio: head ? head.sluice_e2e_mbps / head.libstorage_mbps : null,
  e2e_vs_tus_ratio: head ? head.sluice_e2e_mbps / head.tus_mbps : null,
  discard_vs_http2_ratio: head ? head.discard_mbps / head.http2_sink_mbps : null,
  ack_p95_ms_16mib_c1: ackCell?.ack.p95 ?? null,
  discard_p95_ms_16mib_c1: ackCell?.discard_ack.p95 ?? null,
  cpu_s_per_gib_sluice: head ? perGiB(head.sluice_cpu_s, head.bytes) : null,
  /** The same, less the apps' CPU at rest over the time the cell took. */
  cpu_s_per_gib_sluice_net_of_idle: head
    ? perGiB(
        head.sluice_cpu_s - idleCpuPerSecond * head.first_chunk_to_completed_s * head.cell.files,
        head.bytes,
      )
    : null,
  sluice_idle_cpu_s_per_s: idleCpuPerSecond,
  cpu_s_per_gib_libstorage: head ? perGiB(head.libstorage_cpu_s, head.bytes) : null,
  cpu_s_per_gib_tus: head ? perGiB(head.tus_cpu_s, head.bytes) : null,
  /** Each Sluice app's CPU and the client's, summed over the local cells, per GiB over them. */
  cpu_s_per_gib_by_app: Object.fromEntries([...appCpu].map(([name, cpu]) => [name, perGiB(cpu, allBytes)])),
  /**
   * The services' CPU per GiB over every local cell, while Sluice ran and while lib-storage ran:
   * not in either CPU ratio, but on two cores what both wait behind.
   */
  services_cpu_s_per_gib: {
    sluice: serviceCpuPerGiB((r) => r.sluice_services),
    libstorage: serviceCpuPerGiB((r) => r.libstorage_services),
  },
  /** CPU s per GiB landed, Sluice ÷ lib-storage (local, headline cell). */
  cpu_per_gib_ratio: head ? head.sluice_cpu_s / head.libstorage_cpu_s : null,
  /**
   * The same over every local cell together: the headline cell alone is two files, and on a
   * shared machine its ratio moves by a tenth or more from run to run; this one moves less.
   */
  cpu_per_gib_ratio_all_cells: localResults.length
    ? localResults.reduce((sum, r) => sum + r.sluice_cpu_s, 0) /
      localResults.reduce((sum, r) => sum + r.libstorage_cpu_s, 0)
    : null,
  /** wan, headline cell: Sluice's client time (first chunk → seal answered) ÷ lib-storage's time. */
  wan_client_time_ratio: wanHead ? wanHead.sluice_seal_s / wanHead.libstorage_s : null,
  /** wan, headline cell: Sluice's time to UploadCompleted ÷ lib-storage's time to the object. */
  wan_completed_time_ratio: wanHead ? wanHead.sluice_completed_s / wanHead.libstorage_s : null,
  timings,
  failures,
  cells: results,
};

const ratioTable = table(
  ['ratio', 'value'],
  [
    ['Sluice e2e ÷ lib-storage (MB/s)', summary.e2e_vs_libstorage_ratio ?? Number.NaN],
    ['Sluice e2e ÷ tus (MB/s)', summary.e2e_vs_tus_ratio ?? Number.NaN],
    ['Sluice ingest ÷ grpc-js discard (MB/s)', summary.ingest_vs_discard_ratio ?? Number.NaN],
    ['grpc-js discard ÷ node:http2 sink (MB/s)', summary.discard_vs_http2_ratio ?? Number.NaN],
    ['CPU s per GiB landed, Sluice ÷ lib-storage', summary.cpu_per_gib_ratio ?? Number.NaN],
    ['the same over every local cell', summary.cpu_per_gib_ratio_all_cells ?? Number.NaN],
    ['wan: Sluice client done ÷ lib-storage (time)', summary.wan_client_time_ratio ?? Number.NaN],
    [
      'wan: Sluice UploadCompleted ÷ lib-storage object (time)',
      summary.wan_completed_time_ratio ?? Number.NaN,
    ],
  ],
);
const timingTable = table(
  [
    'profile',
    'client last ACK s',
    'client done (seal) s',
    'object in S3 s',
    'UploadCompleted s',
    'lib-storage s',
  ],
  timings.map((t) => [
    t.profile,
    t.client_last_ack_s,
    t.client_seal_s,
    t.object_in_s3_s,
    t.upload_completed_s,
    t.libstorage_s,
  ]),
);
const cellTable = table(
  [
    'profile',
    'cell (file/chunk/conc)',
    'files',
    'ack p50',
    'p95',
    'p99',
    'p99.9 ms',
    'ingest MB/s',
    'e2e MB/s',
    '1st chunk→S3 s',
    'lib-storage MB/s',
    'tus MB/s',
    'discard MB/s',
    'http2 MB/s',
    'Sluice CPU s',
    'lib-storage CPU s',
  ],
  results.map((r) => [
    r.profile,
    label(r.cell),
    String(r.cell.files),
    r.ack.p50,
    r.ack.p95,
    r.ack.p99,
    r.ack.p999,
    r.ingest_mbps,
    r.sluice_e2e_mbps,
    r.first_chunk_to_completed_s,
    r.libstorage_mbps,
    r.tus_mbps,
    r.discard_mbps,
    r.http2_sink_mbps,
    r.sluice_cpu_s,
    r.libstorage_cpu_s,
  ]),
);
const appTable = table(
  ['cell', ...(results[0]?.apps.map((a) => `${a.name} CPU s / peak RSS MiB`) ?? [])],
  results.map((r) => [
    where(r),
    ...r.apps.map(
      (a) => `${a.cpuSeconds.toFixed(2)} / ${Number.isFinite(a.peakRssMiB) ? a.peakRssMiB.toFixed(0) : '-'}`,
    ),
  ]),
);
const serviceTable = table(
  ['cell', ...(results[0]?.sluice_services.map((u) => `${u.name} CPU s, Sluice / lib-storage`) ?? [])],
  results.map((r) => [
    where(r),
    ...r.sluice_services.map(
      (u, k) =>
        `${u.cpuSeconds.toFixed(2)} / ${(r.libstorage_services[k]?.cpuSeconds ?? Number.NaN).toFixed(2)}`,
    ),
  ]),
);
const m = summary.machine;
const markdown = [
  `# Sluice benchmark${quick ? ' (quick)' : ''}`,
  '',
  `${m.date} · ${m.cores} cores (${m.cpu}) · ${m.memoryGiB} GiB · Node ${m.node} · load average ${m.loadavg_start.map((l) => l.toFixed(2)).join(' ')} → ${m.loadavg_end.map((l) => l.toFixed(2)).join(' ')}` +
    (openLoopRate === undefined ? ' · closed loop' : ` · open loop at ${openLoopRate} chunks/s`),
  '',
  `Headline cell: ${HEADLINE ? label(HEADLINE) : '-'}. Redis SET 1 MiB ×4 clients (redis-benchmark): ${redisSet.toFixed(0)} MB/s.`,
  `CPU counts every Sluice app plus the client process for Sluice, the client process for lib-storage, and the tus server plus client for tus; the S3 server's own CPU is in none of them.`,
  '',
  `Profiles: ${Object.entries(summary.profiles)
    .map(
      ([p, v]) =>
        `${p} (${'rtt_ms' in v ? `S3 through Toxiproxy, ${v.rtt_ms} ms round trip, ${v.mbps_per_connection} MB/s per connection` : 'S3 direct'})`,
    )
    .join('; ')}.`,
  '',
  '## Ratios',
  '',
  ratioTable,
  '',
  `## Time per file, headline cell (${HEADLINE ? label(HEADLINE) : '-'})`,
  '',
  'Client done: first chunk sent → CompleteUpload answered. lib-storage is done when its object is in S3.',
  '',
  timingTable,
  '',
  '![client time and completion per profile](profiles.svg)',
  '',
  '## Cells',
  '',
  cellTable,
  '',
  '## Per app',
  '',
  appTable,
  '',
  `CPU s per GiB over all cells: ${
    Object.entries(summary.cpu_s_per_gib_by_app)
      .map(([name, v]) => `${name} ${v.toFixed(2)}`)
      .join(' · ') || '-'
  }.`,
  '',
  '## Services',
  '',
  "CPU of the services while each side ran the cell; in neither side's CPU per GiB.",
  '',
  serviceTable,
  '',
  failures.length > 0 ? `## Failures\n\n${failures.map((f) => `- ${f}`).join('\n')}\n` : '',
  '![throughput](throughput.svg)',
  '',
  '![ack latency](ack-latency.svg)',
  '',
].join('\n');

mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(summary, null, 2)}\n`);
writeFileSync(join(outDir, 'latest.md'), markdown);
writeFileSync(
  join(outDir, 'throughput.svg'),
  barChart(
    'Throughput per cell (file / chunk / concurrency)',
    'MB/s',
    ['Sluice e2e', 'Sluice ingest', 'lib-storage', 'tus', 'grpc-js discard'],
    results.map((r) => ({
      label: where(r),
      values: [r.sluice_e2e_mbps, r.ingest_mbps, r.libstorage_mbps, r.tus_mbps, r.discard_mbps],
    })),
  ),
);
writeFileSync(
  join(outDir, 'ack-latency.svg'),
  barChart(
    'Ingest ACK latency per cell',
    'ms',
    ['p50', 'p95', 'p99', 'p99.9', 'discard p95'],
    localResults.map((r) => ({
      label: label(r.cell),
      values: [r.ack.p50, r.ack.p95, r.ack.p99, r.ack.p999, r.discard_ack.p95],
    })),
  ),
);
writeFileSync(
  join(outDir, 'profiles.svg'),
  barChart(
    `Seconds per file, ${HEADLINE ? label(HEADLINE) : ''}: when the client is done, and when the file has landed`,
    's',
    ['Sluice client done', 'Sluice object in S3', 'Sluice UploadCompleted', 'lib-storage done'],
    timings.map((t) => ({
      label: t.profile,
      values: [t.client_seal_s, t.object_in_s3_s, t.upload_completed_s, t.libstorage_s],
    })),
  ),
);
console.log(`\n${cellTable}\n\n${timingTable}\n\n${ratioTable}\n`);
console.log(`results in ${outDir}${failures.length > 0 ? ` — ${failures.length} cell(s) failed` : ''}`);

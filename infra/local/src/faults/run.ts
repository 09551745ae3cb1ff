/**
 * `npm run test:faults`: the fault matrix. For each scenario it starts the four apps afresh
 * (topics, Redis namespace and database of their own), runs uploads of random sizes and
 * chunking while the fault is injected, follows every upload to its end, reads back and hashes
 * each object that completed, and prints one row: uploads started, chunks acknowledged,
 * completed byte-identical, failed with a stated reason, lost, and the MiB the assembler read
 * back from S3 to hash objects whose running hash was given up. It exits 1 when any row has a
 * lost upload (or an object whose bytes differ), naming each.
 *
 *   node infra/local/src/faults/run.ts [--quick] [--only <text>,…] [--seed <n>] [--uploads <n>]
 *
 * `--only` runs the scenarios whose name contains one of the texts (any case).
 *
 * The services must be up (`npm run infra -- up` and `up toxiproxy`); faults.sh does that.
 * The apps' logs of each scenario go to `<run dir>/faults/<n>.log`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SluiceClient } from '@sluice/client';
import { s3Client, SeededRandom, startPipeline, type Pipeline } from '@sluice/testing';
import { infraPaths } from '../paths.ts';
import { SCENARIOS, type Scenario } from './scenarios.ts';
import { Workload, type WorkloadSummary } from './workload.ts';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    seed: { type: 'string' },
    uploads: { type: 'string', default: '12' },
  },
});
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(values.seed);
const minUploads = Number(values.uploads);
if (!Number.isSafeInteger(seed) || !Number.isSafeInteger(minUploads) || minUploads < 1) {
  console.error('--seed and --uploads take whole numbers (--uploads at least 1)');
  process.exit(2);
}
const only = values.only?.split(',').map((text) => text.trim().toLowerCase());
const chosen = SCENARIOS.filter(
  (s) =>
    (!values.quick || s.quick) &&
    (only === undefined || only.some((text) => s.name.toLowerCase().includes(text))),
);
if (chosen.length === 0) {
  console.error(`no scenario matches${values.only ? ` "${values.only}"` : ''}`);
  process.exit(2);
}
const logDir = join(infraPaths().run, 'faults');
mkdirSync(logDir, { recursive: true });

const started = Date.now();
const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s`;
const say = (message: string): void => console.error(`[faults ${elapsed()}] ${message}`);

say(`${chosen.length} scenario(s), seed ${seed} (replay with --seed ${seed}), app logs in ${logDir}`);
type Row = WorkloadSummary & { readonly readBackMiB: string };
const rows: { scenario: Scenario; summary?: Row; error?: string; seconds: number }[] = [];
for (const [index, scenario] of chosen.entries()) {
  const t0 = Date.now();
  say(`── ${scenario.name}`);
  try {
    rows.push({ scenario, summary: await runScenario(scenario, index), seconds: (Date.now() - t0) / 1000 });
  } catch (err) {
    say(`${scenario.name}: the run itself failed: ${(err as Error).stack ?? String(err)}`);
    rows.push({ scenario, error: (err as Error).message, seconds: (Date.now() - t0) / 1000 });
  }
}

const table = [
  '| scenario | uploads started | chunks acknowledged | completed byte-identical | failed with a stated reason | lost | MiB read back to hash |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(({ scenario, summary, error }) =>
    summary === undefined
      ? `| ${scenario.name} | run failed: ${error ?? ''} | | | | | |`
      : `| ${scenario.name} | ${summary.started} | ${summary.chunksAcked} | ${summary.identical} | ${summary.failed} | ${summary.lost} | ${summary.readBackMiB} |`,
  ),
].join('\n');
const reasons = rows.flatMap(({ scenario, summary }) =>
  [...(summary?.reasons ?? new Map<string, number>())].map(([r, n]) => `- ${scenario.name}: ${n} × ${r}`),
);
const lost = rows.flatMap(({ scenario, summary }) =>
  (summary?.lostDetail ?? []).map((d) => `- ${scenario.name}: ${d}`),
);
const report =
  `Fault matrix, ${new Date().toISOString().slice(0, 10)}, seed ${seed}, ` +
  `${(Date.now() - started) / 1000 >= 60 ? `${Math.round((Date.now() - started) / 60_000)} min` : `${Math.round((Date.now() - started) / 1000)} s`}\n\n` +
  `${table}\n\n` +
  (reasons.length > 0 ? `Failure reasons:\n${reasons.join('\n')}\n\n` : '') +
  (lost.length > 0 ? `LOST:\n${lost.join('\n')}\n` : '');
writeFileSync(join(logDir, 'report.md'), report);
console.log(report);
const bad = rows.some((r) => r.summary === undefined || r.summary.lost > 0);
say(bad ? 'FAILED: a row lost uploads or did not run' : 'every row: lost = 0');
process.exit(bad ? 1 : 0);

async function runScenario(scenario: Scenario, index: number): Promise<Row> {
  const random = new SeededRandom(seed + index);
  const cleanups: (() => unknown)[] = [];
  const after = (fn: () => unknown): void => {
    cleanups.push(fn);
  };
  try {
    const prepared = await scenario.setup({ after, random, log: say });
    const pipeline = await startPipeline(
      { after },
      { ...prepared.options, logFile: join(logDir, `${index + 1}.log`) },
    );
    const client = new SluiceClient({ server: pipeline.grpcAddress, apiKey: pipeline.apiKey });
    after(() => client.close());
    const s3 = s3Client();
    after(() => s3.destroy());
    const workload = new Workload({ client, drive: pipeline.drive, random, log: say });
    workload.start(minUploads);
    await prepared.fault({ pipeline, random, log: say });
    await workload.stop();
    say(`${workload.uploads.length} uploads ran; following each to its end`);
    const summary = { ...(await workload.settle(s3, 240_000)), readBackMiB: await readBackMiB(pipeline) };
    say(
      `${scenario.name}: ${summary.started} started, ${summary.chunksAcked} chunks acknowledged, ` +
        `${summary.identical} identical, ${summary.failed} failed with a reason, ${summary.lost} lost`,
    );
    return summary;
  } finally {
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (err) {
        say(`clean-up: ${(err as Error).message}`);
      }
    }
  }
}

/**
 * MiB the assembler read back from S3 to compute whole-file SHA-256s: objects whose running hash
 * the part-writer gave up. Counted since each assembler instance last started.
 */
async function readBackMiB(pipeline: Pipeline): Promise<string> {
  let bytes = 0;
  for (const { httpPort } of pipeline.instancesOf('assembler')) {
    const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    // The counter carries the app's default labels: `name{app="assembler"} value`.
    const value = /^sluice_assembler_sha256_read_bytes_total(?:\{[^}]*\})? (\S+)$/m.exec(text)?.[1];
    // A missing counter is not a zero: the row says it could not tell.
    if (value === undefined) return 'unknown';
    bytes += Number(value);
  }
  return (bytes / 2 ** 20).toFixed(1);
}

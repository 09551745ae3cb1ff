/**
 * The S3 compatibility matrix (`infra/local/s3-matrix.sh`): brings up versitygw (`s3`), moto
 * (`s3-moto`) and s3proxy (`s3proxy`), prints the probe table (probe.ts) for all three, then runs
 * the storage suite (libs/storage/test) against each store by pointing SLUICE_S3_ENDPOINT at it,
 * each run bounded by a timeout and its output kept in `<run>/s3-matrix/<store>-storage.log`.
 *
 * Exit status: 1 when versitygw's suite fails (or any store cannot be brought up or probed);
 * the other stores' suites are reported, not fatal. Services this run started are stopped at
 * the end unless `--keep`; services that were already up are left alone.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SERVICES, type ServiceName } from '@sluice/config';
import { serviceEndpoint } from '@sluice/testing';
import { ensureUp, getStatus, localEnv, stopServices } from '../orchestrator.ts';
import { infraPaths } from '../paths.ts';
import { probeStore } from './probe.ts';
import { renderTable, type StoreReport } from './table.ts';

/** The stores of the matrix, versitygw first: its suite decides the exit status. */
export const MATRIX_STORES = ['s3', 's3-moto', 's3proxy'] as const satisfies readonly ServiceName[];

const ROOT = join(import.meta.dirname, '..', '..', '..', '..');
const SUITES = { storage: 'libs/storage/test' } as const;

/** How one suite went on one store. */
export interface SuiteResult {
  readonly store: string;
  readonly suite: string;
  readonly outcome: 'passed' | 'failed' | 'timed out';
  readonly pass: number;
  readonly fail: number;
  readonly seconds: number;
  readonly logFile: string;
}

/** The suite results as a markdown table. */
export function renderSuites(results: readonly SuiteResult[]): string {
  return [
    '| store | suite | result | pass | fail | seconds |',
    '| --- | --- | --- | --- | --- | --- |',
    ...results.map(
      (r) => `| ${r.store} | ${r.suite} | ${r.outcome} | ${r.pass} | ${r.fail} | ${r.seconds.toFixed(1)} |`,
    ),
  ].join('\n');
}

/** Runs the test files of `dir` with node's runner, its S3 variables pointed at `endpoint`. */
async function runSuite(
  store: string,
  suite: keyof typeof SUITES,
  endpoint: string,
  logDir: string,
  timeoutMs: number,
): Promise<SuiteResult> {
  const dir = SUITES[suite];
  const files = readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => join(dir, f));
  const logFile = join(logDir, `${store}-${suite}.log`);
  const log = createWriteStream(logFile);
  const started = performance.now();
  let output = '';
  const child = spawn(process.execPath, ['--test', '--test-reporter=spec', ...files], {
    cwd: ROOT,
    // localEnv drops any SLUICE_S3_* that points elsewhere, so the suite sees only this store.
    env: { ...localEnv(process.env), [SERVICES.s3.urlEnv]: endpoint, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  const collect = (chunk: Buffer): void => {
    output += chunk.toString();
    log.write(chunk);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let timedOut = false;
  // The runner spawns a process per file: the whole group goes on a timeout.
  const timer = setTimeout(() => {
    timedOut = true;
    if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
  }, timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearTimeout(timer);
  await new Promise((resolve) => log.end(resolve));
  const count = (word: string): number =>
    Number(new RegExp(`^ℹ ${word} (\\d+)$`, 'm').exec(output)?.[1] ?? 0);
  return {
    store,
    suite,
    outcome: timedOut ? 'timed out' : code === 0 ? 'passed' : 'failed',
    pass: count('pass'),
    fail: count('fail'),
    seconds: (performance.now() - started) / 1000,
    logFile,
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      keep: { type: 'boolean', default: false },
      'suite-timeout': { type: 'string', default: '600' },
      'skip-suites': { type: 'boolean', default: false },
    },
  });
  const say = (message: string): void => void process.stderr.write(`s3-matrix: ${message}\n`);
  const before = await getStatus({ services: MATRIX_STORES });
  const startedHere = before.filter((s) => !s.healthy).map((s) => s.name);
  try {
    const upStarted = performance.now();
    await ensureUp({ services: MATRIX_STORES });
    say(`stores up in ${((performance.now() - upStarted) / 1000).toFixed(1)} s`);

    const reports: StoreReport[] = [];
    for (const store of MATRIX_STORES) {
      const endpoint = serviceEndpoint(store, localEnv()).url;
      const probeStarted = performance.now();
      reports.push(await probeStore({ store, endpoint }));
      say(`${store} (${endpoint}) probed in ${((performance.now() - probeStarted) / 1000).toFixed(1)} s`);
    }
    process.stdout.write(`## S3 compatibility matrix\n\n${renderTable(reports)}\n\n`);
    if (values['skip-suites']) return 0;

    const logDir = join(infraPaths().run, 's3-matrix');
    mkdirSync(logDir, { recursive: true });
    const timeoutMs = Number(values['suite-timeout']) * 1000;
    const results: SuiteResult[] = [];
    for (const store of MATRIX_STORES) {
      const endpoint = serviceEndpoint(store, localEnv()).url;
      say(`${store}: running the storage suite (log: ${join(logDir, `${store}-storage.log`)})`);
      results.push(await runSuite(store, 'storage', endpoint, logDir, timeoutMs));
    }
    process.stdout.write(`## Suites\n\n${renderSuites(results)}\n`);
    return results.some((r) => r.store === 's3' && r.outcome !== 'passed') ? 1 : 0;
  } finally {
    if (!values.keep && startedHere.length > 0) await stopServices({ services: startedHere, say });
  }
}

if (import.meta.main) {
  main().then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`s3-matrix: ${(error as Error).stack ?? String(error)}\n`);
      process.exit(1);
    },
  );
}

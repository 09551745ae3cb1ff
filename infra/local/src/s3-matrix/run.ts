/**
 * The S3 compatibility matrix (`infra/local/s3-matrix.sh`): brings up versitygw (`s3`), moto
 * (`s3-moto`) and s3proxy (`s3proxy`), probes each (`probeStore` in @sluice/storage) and prints
 * the findings as one table (table.ts), then for each store:
 *
 * - the assembler's `drive-check` command, twice: with a drive set wrongly on purpose
 *   ({@link WRONG_DRIVE}: CRC64NVME checksums and the SDK's default request checksums) and with a
 *   drive set as the probe recommends; its exit code and result lines are printed;
 * - the storage suite (libs/storage/test), and on moto and s3proxy the assembler's
 *   (libs/assembler-core/test) and on moto the part-writer's (apps/part-writer/test) too
 *   ({@link SUITES_ON}),
 *   pointed at the store by SLUICE_S3_ENDPOINT and told what the probe
 *   found there by {@link S3_STORE_REPORT_ENV} (the report's JSON), so each test that depends on
 *   what a store does expects what this one is known to do, with the drive settings recommended
 *   for it; the output goes to `<run>/s3-matrix/<store>-<suite>.log`;
 * - the end-to-end upload set (e2e.ts): the whole pipeline with a drive on the store, set as the
 *   probe recommends with fixed 5 MiB parts, and a few files that must land byte-identical and
 *   COMPLETED; the apps' output goes to `<run>/s3-matrix/<store>-e2e.log`. It and the
 *   part-writer and assembler suites need Redis, Kafka, Apicurio and MySQL, started here when down.
 *
 * Each suite and set is bounded by a timeout (`--suite-timeout`, `--e2e-timeout`); their results
 * are printed as one table, a row per store and suite.
 *
 * Exit status: 0 only when every suite and upload set passes on every store, the right drive
 * passes its check on versitygw, and the wrong one fails on s3proxy naming checksumMode; 1
 * otherwise (or when a store cannot be brought up or probed). Services this run started are
 * stopped at the end unless `--keep`; services that were already up are left alone.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LOCAL_DEFAULTS, SERVICES, type ServiceName } from '@sluice/config';
import { driveSettings, probeStore, type StoreReport } from '@sluice/storage';
import type { Drive } from '@sluice/tenants';
import { S3_STORE_REPORT_ENV, serviceEndpoint } from '@sluice/testing';
import { ensureUp, getStatus, localEnv, stopServices } from '../orchestrator.ts';
import { infraPaths } from '../paths.ts';
import { runUploadSet } from './e2e.ts';
import { renderTable } from './table.ts';

/** The stores of the matrix, versitygw first. */
export const MATRIX_STORES = ['s3', 's3-moto', 's3proxy'] as const satisfies readonly ServiceName[];

const ROOT = join(import.meta.dirname, '..', '..', '..', '..');
const SUITES = {
  storage: 'libs/storage/test',
  'part-writer': 'apps/part-writer/test',
  assembler: 'libs/assembler-core/test',
} as const;

type MatrixStore = (typeof MATRIX_STORES)[number];

/** What the part-writer suite and the upload sets need beside the stores. */
const PIPELINE_SERVICES = ['redis', 'kafka', 'apicurio', 'mysql'] as const satisfies readonly ServiceName[];

/**
 * The suites run on each store: on versitygw the storage suite (`npm test` runs the others
 * there); on moto all three; on s3proxy the storage and assembler suites, since the part-writer
 * suite stalls after its first test there (not yet understood: see README).
 */
const SUITES_ON: Readonly<Record<MatrixStore, readonly (keyof typeof SUITES)[]>> = {
  s3: ['storage'],
  's3-moto': ['storage', 'part-writer', 'assembler'],
  s3proxy: ['storage', 'assembler'],
};

/** The drive set wrongly on purpose: s3proxy refuses both settings. */
export const WRONG_DRIVE = {
  checksumMode: 'crc64nvme',
  requestChecksumCalculation: 'WHEN_SUPPORTED',
} as const satisfies Partial<Drive>;

/** How the drive check went for one drive on one store. */
export interface DriveCheckResult {
  readonly store: string;
  readonly drive: 'wrong' | 'right';
  readonly settings: string;
  readonly exitCode: number;
  /** `store reachable: no…`, `fails with…` and `result:` lines. */
  readonly lines: readonly string[];
}

/** The drive-check results as a markdown table, then each store's result lines. */
export function renderDriveChecks(results: readonly DriveCheckResult[]): string {
  return [
    '| store | drive | settings | exit | result |',
    '| --- | --- | --- | --- | --- |',
    ...results.map(
      (r) =>
        `| ${r.store} | ${r.drive} | ${r.settings} | ${r.exitCode} | ${(r.lines.at(-1) ?? '').replace(/\|/g, '\\|')} |`,
    ),
    '',
    ...results.flatMap((r) => r.lines.map((line) => `- ${r.store} ${r.drive}: ${line}`)),
  ].join('\n');
}

/**
 * Runs `apps/assembler/src/drive-check.ts` for a wrong and a right drive on `store`, from a
 * tenants file written to `dir`, with the local keys.
 */
async function checkDrives(store: string, report: StoreReport, dir: string): Promise<DriveCheckResult[]> {
  const recommended = driveSettings(report);
  const drives = {
    wrong: { ...WRONG_DRIVE },
    right: {
      checksumMode: recommended.checksumMode,
      requestChecksumCalculation: recommended.requestChecksumCalculation,
    },
  } as const;
  const file = join(dir, `${store}-tenants-${randomUUID()}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      tenants: [
        {
          name: 's3-matrix',
          apiKeys: [{ key: randomUUID() }],
          drives: Object.entries(drives).map(([name, settings]) => ({
            name,
            endpoint: report.endpoint,
            region: LOCAL_DEFAULTS.s3Region,
            bucket: LOCAL_DEFAULTS.s3Bucket,
            ...settings,
            partSizePolicy: { kind: 'fixed', partSize: '5MiB' },
            credentials: { accessKeyIdEnv: 'S3_MATRIX_KEY', secretAccessKeyEnv: 'S3_MATRIX_SECRET' },
          })),
        },
      ],
    }),
  );
  const results: DriveCheckResult[] = [];
  for (const [drive, settings] of Object.entries(drives) as [
    keyof typeof drives,
    (typeof drives)[keyof typeof drives],
  ][]) {
    const { code, stdout } = await runCommand(['apps/assembler/src/drive-check.ts', 's3-matrix', drive], {
      ...localEnv(process.env),
      SLUICE_TENANTS_FILE: file,
      S3_MATRIX_KEY: LOCAL_DEFAULTS.s3AccessKey,
      S3_MATRIX_SECRET: LOCAL_DEFAULTS.s3SecretKey,
      SLUICE_LOG_LEVEL: 'warn',
    });
    results.push({
      store,
      drive,
      settings: `\`${settings.checksumMode}\`, \`${settings.requestChecksumCalculation}\``,
      exitCode: code,
      lines: stdout.split('\n').filter((l) => /^(store reachable: no|fails with|result:)/.test(l)),
    });
  }
  return results;
}

/** Runs a node script from the repository root; resolves with its exit code and standard output. */
async function runCommand(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code: code ?? -1, stdout };
}

/** How one suite (or the upload set) went on one store. */
export interface SuiteResult {
  readonly store: string;
  readonly suite: string;
  readonly outcome: 'passed' | 'failed' | 'timed out';
  readonly pass: number;
  readonly fail: number;
  readonly seconds: number;
  readonly logFile: string;
  /** What the counts do not say: each test skipped and why, each file of a set that failed. */
  readonly notes?: readonly string[];
}

/** The suite results as a markdown table, then their notes. */
export function renderSuites(results: readonly SuiteResult[]): string {
  return [
    '| store | suite | result | pass | fail | seconds |',
    '| --- | --- | --- | --- | --- | --- |',
    ...results.map(
      (r) => `| ${r.store} | ${r.suite} | ${r.outcome} | ${r.pass} | ${r.fail} | ${r.seconds.toFixed(1)} |`,
    ),
    ...results.flatMap((r) =>
      (r.notes ?? []).map((line) => `- ${r.store} ${r.suite}: ${line.replace(/\s+/g, ' ')}`),
    ),
  ].join('\n');
}

/**
 * Runs the test files of `dir` with node's runner, its S3 variables pointed at the store of
 * `report`, and the report itself in {@link S3_STORE_REPORT_ENV}.
 */
async function runSuite(
  report: StoreReport,
  suite: keyof typeof SUITES,
  logDir: string,
  timeoutMs: number,
): Promise<SuiteResult> {
  const { store, endpoint } = report;
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
    env: {
      ...localEnv(process.env),
      [SERVICES.s3.urlEnv]: endpoint,
      [S3_STORE_REPORT_ENV]: JSON.stringify(report),
      NO_COLOR: '1',
    },
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
    // The spec reporter marks a skipped test `﹣ <name> (<ms>ms) # <reason>`.
    notes: [...output.matchAll(/^\s*﹣ (.+) \([\d.]+ms\) # (.+)$/gm)].map(
      ([, test, reason]) => `skipped "${test}": ${reason}`,
    ),
  };
}

/** A drive on a local store with the local keys, for the probe. */
function localDrive(endpoint: string): Drive {
  return {
    name: 's3-matrix',
    tenant: 's3-matrix',
    endpoint,
    region: LOCAL_DEFAULTS.s3Region,
    bucket: LOCAL_DEFAULTS.s3Bucket,
    keyTemplate: '{tenant}/{drive}/{node_id}',
    forcePathStyle: true,
    checksumMode: 'none',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    partSizePolicy: { kind: 'fixed', partSize: 5 * 1024 * 1024 },
    credentials: { accessKeyId: LOCAL_DEFAULTS.s3AccessKey, secretAccessKey: LOCAL_DEFAULTS.s3SecretKey },
  };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      keep: { type: 'boolean', default: false },
      'suite-timeout': { type: 'string', default: '600' },
      'e2e-timeout': { type: 'string', default: '120' },
      'skip-suites': { type: 'boolean', default: false },
    },
  });
  const say = (message: string): void => void process.stderr.write(`s3-matrix: ${message}\n`);
  const services = values['skip-suites'] ? MATRIX_STORES : [...MATRIX_STORES, ...PIPELINE_SERVICES];
  const before = await getStatus({ services });
  const startedHere = before.filter((s) => !s.healthy).map((s) => s.name);
  try {
    const upStarted = performance.now();
    await ensureUp({ services });
    say(`stores and services up in ${((performance.now() - upStarted) / 1000).toFixed(1)} s`);

    const reports: StoreReport[] = [];
    for (const store of MATRIX_STORES) {
      const endpoint = serviceEndpoint(store, localEnv()).url;
      const probeStarted = performance.now();
      reports.push(
        await probeStore({
          store,
          drive: localDrive(endpoint),
          prefix: `s3-matrix/${randomUUID()}/`,
          wrongSecret: true,
        }),
      );
      say(`${store} (${endpoint}) probed in ${((performance.now() - probeStarted) / 1000).toFixed(1)} s`);
    }
    process.stdout.write(`## S3 compatibility matrix\n\n${renderTable(reports)}\n\n`);

    const logDir = join(infraPaths().run, 's3-matrix');
    mkdirSync(logDir, { recursive: true });
    const checks: DriveCheckResult[] = [];
    for (const report of reports) {
      say(`${report.store}: running drive-check with a wrong and a right drive`);
      checks.push(...(await checkDrives(report.store, report, logDir)));
    }
    process.stdout.write(`## Drive check\n\n${renderDriveChecks(checks)}\n\n`);
    const checkFailed =
      checks.some((c) => c.store === 's3' && c.drive === 'right' && c.exitCode !== 0) ||
      checks.some(
        (c) =>
          c.store === 's3proxy' &&
          c.drive === 'wrong' &&
          (c.exitCode !== 1 || !c.lines.some((l) => l.includes('checksumMode'))),
      );
    if (values['skip-suites']) return checkFailed ? 1 : 0;

    const timeoutMs = Number(values['suite-timeout']) * 1000;
    const e2eTimeoutMs = Number(values['e2e-timeout']) * 1000;
    const results: SuiteResult[] = [];
    for (const report of reports) {
      const { store } = report;
      for (const suite of SUITES_ON[store as MatrixStore]) {
        say(`${store}: running the ${suite} suite (log: ${join(logDir, `${store}-${suite}.log`)})`);
        results.push(await runSuite(report, suite, logDir, timeoutMs));
      }
      const logFile = join(logDir, `${store}-e2e.log`);
      say(`${store}: running the end-to-end upload set (apps' log: ${logFile})`);
      writeFileSync(logFile, '');
      const started = performance.now();
      const set = await runUploadSet({ report, dir: logDir, logFile, timeoutMs: e2eTimeoutMs });
      results.push({ store, suite: 'e2e', ...set, seconds: (performance.now() - started) / 1000, logFile });
    }
    process.stdout.write(`## Suites\n\n${renderSuites(results)}\n`);
    return checkFailed || results.some((r) => r.outcome !== 'passed') ? 1 : 0;
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

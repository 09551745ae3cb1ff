/**
 * Probes a drive's real store and says what the drive's settings should be.
 *
 *   npm run -w @sluice/assembler drive-check -- <tenant> <drive>
 *
 * Reads SLUICE_TENANTS_FILE (credentials resolve from the variables or files it names, as in
 * the apps) and talks to the store with the client the apps build for the drive. Everything it
 * writes goes under a scratch prefix in the drive's key space and is removed before it exits.
 * Prints whether the store and bucket answer, the probe's findings, the recommended settings
 * against the current ones, and what fails with the current settings. Exits 0 when the current
 * settings work, 1 when something fails with them, 2 when the store cannot be reached or the
 * arguments or configuration are wrong.
 */
import { parseArgs } from 'node:util';
import { env, parseEnvOrExit, tenantsEnv } from '@sluice/config';
import { createLogger } from '@sluice/logging';
import { Startup } from '@sluice/startup';
import {
  FEATURES,
  FEATURE_TITLES,
  SETTINGS,
  checkDrive,
  driveCheckExitCode,
  formatOutcome,
  type DriveCheckReport,
} from '@sluice/storage';

const USAGE =
  'usage: npm run -w @sluice/assembler drive-check -- <tenant> <drive>\n' +
  '  (or node apps/assembler/src/drive-check.ts <tenant> <drive>), with SLUICE_TENANTS_FILE set\n';

/** The variables of `drive-check.ts`. */
const driveCheckEnv = {
  ...tenantsEnv(),
  SLUICE_LOG_LEVEL: env.oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], 'warn'),
  /** Bounds each request to the store. */
  SLUICE_DRIVE_CHECK_TIMEOUT: env.duration(60_000),
};

/** The report as the command prints it, one line per finding. */
export function renderDriveCheck(report: DriveCheckReport): string {
  const lines = [
    `drive ${report.tenant}/${report.drive}: bucket ${report.bucket} at ${report.endpoint}, scratch prefix ${report.prefix}`,
  ];
  if (!report.reachable.ok) {
    lines.push(`store reachable: no (${report.reachable.problem}): ${report.reachable.message}`);
    return lines.join('\n');
  }
  lines.push(`store reachable: yes; bucket ${report.bucket} answers with the drive's credentials`, '');
  if (report.findings) {
    lines.push('| feature | result |', '| --- | --- |');
    for (const f of FEATURES)
      lines.push(`| ${FEATURE_TITLES[f]} | ${formatOutcome(report.findings.results[f])} |`);
    lines.push('');
  }
  lines.push('setting: recommended / current');
  for (const setting of SETTINGS) {
    const difference = report.differences.find((d) => d.setting === setting);
    const recommended = report.recommended?.[setting] ?? '?';
    lines.push(
      `  ${setting}: ${recommended} / ${report.current[setting]}` +
        (difference ? `  DIFFERS: ${difference.because}` : ''),
    );
  }
  lines.push('');
  for (const step of report.passed) lines.push(`works with the current settings: ${step}`);
  for (const f of report.failures) {
    const settings =
      f.settings.length > 0
        ? ` [settings that differ from the recommended ones: ${f.settings.join(', ')}]`
        : ' [no setting differs from the recommended ones: the store itself answers this way]';
    lines.push(`fails with the current settings: ${f.step}: ${f.error}${settings}`);
  }
  const code = driveCheckExitCode(report);
  lines.push(
    code === 0
      ? 'result: the current settings work'
      : `result: ${report.failures.length} thing(s) fail with the current settings`,
  );
  return lines.join('\n');
}

async function main(): Promise<number> {
  let positionals: string[];
  try {
    positionals = parseArgs({ allowPositionals: true, options: {} }).positionals;
  } catch (err) {
    process.stderr.write(`drive-check: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const [tenant, name] = positionals;
  if (positionals.length !== 2 || tenant === undefined || name === undefined) {
    process.stderr.write(`drive-check: pass a tenant and one of its drives\n${USAGE}`);
    return 2;
  }
  const config = parseEnvOrExit('drive-check', driveCheckEnv, process.env);
  const logger = createLogger({
    service: 'assembler-drive-check',
    level: config.SLUICE_LOG_LEVEL,
    destination: process.stderr,
  });
  const tenants = new Startup('drive-check', logger).tenants(config.SLUICE_TENANTS_FILE);
  const drive = tenants.driveOf(tenant, name);
  if (!drive) {
    const names = tenants.drives.filter((d) => d.tenant === tenant).map((d) => d.name);
    process.stderr.write(
      `drive-check: ${config.SLUICE_TENANTS_FILE} has no drive "${name}" in tenant "${tenant}": ` +
        (names.length > 0 ? `its drives are ${names.join(', ')}` : 'the file has no such tenant') +
        `\n${USAGE}`,
    );
    return 2;
  }
  const report = await checkDrive({ drive, requestTimeoutMs: config.SLUICE_DRIVE_CHECK_TIMEOUT });
  process.stdout.write(`${renderDriveCheck(report)}\n`);
  return driveCheckExitCode(report);
}

if (import.meta.main) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`drive-check: the check stopped: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}

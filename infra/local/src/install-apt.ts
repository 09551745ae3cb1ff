/**
 * Debian packages for Redis, MariaDB, PostgreSQL and Prometheus (and Maven when it is missing).
 * Installed only when their programs are not on the machine, all in one apt-get run, with
 * services kept from starting: there is no init system here, and a packaged MariaDB or
 * Redis started on its default port would be a second, unmanaged copy.
 */
import { accessSync, constants, existsSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findExecutable, runCommand } from './run-command.ts';

/** The Debian packages `up` may install, and the programs each must provide. */
export const APT_PACKAGES = Object.freeze({
  'redis-server': ['redis-server'],
  'mariadb-server': ['mariadbd', 'mariadb-install-db'],
  // Not on PATH: see postgresBinDir.
  postgresql: ['initdb', 'postgres'],
  prometheus: ['prometheus'],
  maven: ['mvn'],
} as const);
export type AptPackage = keyof typeof APT_PACKAGES;

/** True when every program of the package is on the machine. */
export function aptPackagePresent(name: AptPackage): boolean {
  if (name === 'postgresql') return postgresBinDir() !== undefined;
  return APT_PACKAGES[name].every((program) => findExecutable(program) !== undefined);
}

const POSTGRES_LIB = '/usr/lib/postgresql';

/**
 * Where the PostgreSQL server's programs are: Debian keeps them off PATH, one folder per major
 * version (`/usr/lib/postgresql/15/bin`). Those of `major` when given, else of the newest major
 * that has them; undefined when there are none.
 */
export function postgresBinDir(major?: string): string | undefined {
  let majors: string[];
  try {
    majors = readdirSync(POSTGRES_LIB).filter((entry) => /^\d+$/.test(entry) && (major ?? entry) === entry);
  } catch {
    return undefined;
  }
  return majors
    .sort((a, b) => Number(b) - Number(a))
    .map((major) => join(POSTGRES_LIB, major, 'bin'))
    .find((dir) => APT_PACKAGES.postgresql.every((program) => isExecutable(join(dir, program))));
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const POLICY_RC_D = '/usr/sbin/policy-rc.d';

/** Installs the packages whose programs are missing. Needs root (or password-less sudo). */
export async function installAptPackages(names: readonly AptPackage[], logFile: string): Promise<void> {
  const missing = names.filter((name) => !aptPackagePresent(name));
  if (missing.length === 0) return;
  const sudo = aptPrefix(missing);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive', NEEDRESTART_MODE: 'l' };
  const run = (args: string[]): Promise<string> =>
    runCommand(sudo[0] ?? 'apt-get', [...sudo.slice(1), ...args], {
      env,
      logFile,
      hint: `Install them by hand with: apt-get install -y ${missing.join(' ')}`,
    });
  // policy-rc.d exiting 101 tells invoke-rc.d not to start the packages' services.
  const addedPolicy = !existsSync(POLICY_RC_D) && process.getuid?.() === 0;
  if (addedPolicy) writeFileSync(POLICY_RC_D, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    if (!hasPackageLists()) await run(['update']);
    const install = ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '--no-install-recommends', ...missing];
    try {
      await run(install);
    } catch {
      // Stale package lists name versions the mirror no longer has: refresh once.
      await run(['update']);
      await run(install);
    }
  } finally {
    if (addedPolicy) rmSync(POLICY_RC_D, { force: true });
  }
  const stillMissing = missing.filter((name) => !aptPackagePresent(name));
  if (stillMissing.length > 0) {
    throw new Error(
      `apt-get installed ${stillMissing.join(', ')} but their programs are not on PATH (see ${logFile})`,
    );
  }
}

function aptPrefix(missing: readonly string[]): string[] {
  if (process.getuid?.() === 0) return ['apt-get'];
  if (findExecutable('sudo') !== undefined) return ['sudo', '-n', 'apt-get'];
  throw new Error(
    `${missing.join(', ')} must be installed and this user is not root: run as root, ` +
      `or install them once with: sudo apt-get install -y ${missing.join(' ')}`,
  );
}

function hasPackageLists(): boolean {
  try {
    return readdirSync('/var/lib/apt/lists').some((entry) => entry.includes('_Packages'));
  } catch {
    return false;
  }
}

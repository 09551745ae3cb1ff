/**
 * `npm run infra -- <command>`: the real services Sluice needs, on this machine, without
 * Docker. Progress goes to stderr; stdout carries only what a command is asked to print
 * (the status table or JSON, the env lines), so scripts can read it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import {
  profileServiceNames,
  SERVICE_NAMES,
  SERVICE_PROFILES,
  SERVICES,
  type ServiceName,
  type ServiceProfile,
} from '@sluice/config';
import {
  ensureUp,
  getStatus,
  resetServices,
  serviceEnv,
  stopServices,
  type ServiceState,
} from './orchestrator.ts';
import { infraPaths } from './paths.ts';

const USAGE = `usage: npm run infra -- <command> [--profile <profile>] [service...]

commands:
  up [service...]         install what is missing, start, and wait until healthy
                          (no service named: all but the optional ones)
  down [service...]       stop what \`up\` started
  status [--json] [service...]
                          probe every service (or those named)
  logs <service> [-f] [-n <lines>]
                          print (or follow) a service's log
  reset [service...]      stop and delete data, configuration and logs
  env                     print \`export VAR=value\` lines for apps and tests

--profile <profile>       with up, down, status and reset: the default services, the
                          profile's optional ones, and any named. Profiles:
${SERVICE_PROFILES.map((p) => `                            ${p}: ${profileExtras(p).join(', ')}`).join('\n')}

services: ${SERVICE_NAMES.join(', ')} (optional: ${SERVICE_NAMES.filter((n) => SERVICES[n].optional).join(', ')})
state: $SLUICE_INFRA_DIR (default $SLUICE_CACHE/run); installs: $SLUICE_CACHE/tools`;

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'up': {
      const started = Date.now();
      const states = await ensureUp({ services: serviceArgs(rest) });
      process.stdout.write(table(states));
      process.stderr.write(
        `sluice infra: ${states.length} service(s) healthy in ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
      );
      return 0;
    }
    case 'down': {
      const stopped = await stopServices({ services: serviceArgs(rest) });
      process.stderr.write(
        `sluice infra: stopped ${stopped.length === 0 ? 'nothing (none of ours was running)' : stopped.join(', ')}\n`,
      );
      return 0;
    }
    case 'reset':
      await resetServices({ services: serviceArgs(rest) });
      return 0;
    case 'status': {
      const json = rest.includes('--json');
      const states = await getStatus({ services: serviceArgs(rest.filter((arg) => arg !== '--json')) });
      if (json) {
        const services = states.map(({ name, host, port, healthy }) => ({ name, host, port, healthy }));
        process.stdout.write(`${JSON.stringify({ services })}\n`);
      } else {
        process.stdout.write(table(states));
      }
      return 0;
    }
    case 'logs':
      return logs(rest);
    case 'env':
      for (const [name, value] of Object.entries(serviceEnv()))
        process.stdout.write(`export ${name}=${shellQuote(value)}\n`);
      return 0;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${USAGE}\n`);
      return command === undefined ? 2 : 0;
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

class UsageError extends Error {}

/**
 * The services a command acts on: those named, and with `--profile <profile>` the profile's
 * services too; undefined (the command's default) when neither is given.
 */
function serviceArgs(args: readonly string[]): ServiceName[] | undefined {
  const { profile, names } = profileArg(args);
  const named = names.map((arg) => {
    if (!(SERVICE_NAMES as readonly string[]).includes(arg)) {
      throw new UsageError(`unknown service "${arg}": choose from ${SERVICE_NAMES.join(', ')}`);
    }
    return arg as ServiceName;
  });
  if (profile === undefined) return named.length === 0 ? undefined : named;
  return [...new Set([...profileServiceNames(profile), ...named])];
}

function profileArg(args: readonly string[]): { profile?: ServiceProfile; names: string[] } {
  const at = args.findIndex((arg) => arg === '--profile' || arg.startsWith('--profile='));
  if (at < 0) return { names: [...args] };
  const flag = args[at] ?? '';
  const value = flag.includes('=') ? flag.slice(flag.indexOf('=') + 1) : args[at + 1];
  if (!(SERVICE_PROFILES as readonly (string | undefined)[]).includes(value)) {
    throw new UsageError(`--profile takes one of ${SERVICE_PROFILES.join(', ')}; got ${value ?? 'nothing'}`);
  }
  const names = args.filter((_, i) => i !== at && (flag.includes('=') || i !== at + 1));
  if (names.some((arg) => arg === '--profile' || arg.startsWith('--profile='))) {
    throw new UsageError('give --profile once');
  }
  return { profile: value as ServiceProfile, names };
}

/** The optional services a profile adds to the default ones. */
function profileExtras(profile: ServiceProfile): ServiceName[] {
  return SERVICE_NAMES.filter((name) => SERVICES[name].profile === profile);
}

async function logs(args: readonly string[]): Promise<number> {
  const follow = args.includes('-f') || args.includes('--follow');
  const linesAt = args.findIndex((arg) => arg === '-n' || arg === '--lines');
  const lines = linesAt >= 0 ? Number(args[linesAt + 1]) : 100;
  const positional = args.filter((arg, i) => !arg.startsWith('-') && (linesAt < 0 || i !== linesAt + 1));
  const [name] = serviceArgs(positional) ?? [];
  if (name === undefined || positional.length !== 1) throw new UsageError('logs takes exactly one service');
  if (!Number.isInteger(lines) || lines < 0) throw new UsageError('-n takes a number of lines');
  const file = infraPaths().service(name).logFile;
  if (!existsSync(file)) {
    throw new Error(`${name} has no log yet at ${file}: start it with \`npm run infra -- up ${name}\``);
  }
  const tail = spawn('tail', ['-n', String(lines), ...(follow ? ['-F'] : []), file], { stdio: 'inherit' });
  return new Promise((resolve) => tail.once('close', (code) => resolve(code ?? 0)));
}

function table(states: readonly ServiceState[]): string {
  const rows = states.map((s) => [
    s.name,
    `${s.host}:${s.port}`,
    s.healthy ? 'healthy' : 'down',
    s.pid === undefined ? (s.healthy ? 'not ours' : '-') : String(s.pid),
    s.healthy ? SERVICES[s.name].title : (s.error ?? ''),
  ]);
  const header = ['SERVICE', 'ADDRESS', 'STATE', 'PID', 'DETAIL'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const format = (row: readonly string[]): string =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[header, ...rows].map(format).join('\n')}\n`;
}

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`sluice infra: ${error.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    process.stderr.write(`sluice infra: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);

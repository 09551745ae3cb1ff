/**
 * `npm run infra -- <command>`: the real services Sluice needs, on this machine, without
 * Docker. Progress goes to stderr; stdout carries only what a command is asked to print
 * (the status table or JSON, the env lines), so scripts can read it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { SERVICE_NAMES, SERVICES, type ServiceName } from '@sluice/config';
import {
  ensureUp,
  getStatus,
  resetServices,
  serviceEnv,
  stopServices,
  type ServiceState,
} from './orchestrator.ts';
import { infraPaths } from './paths.ts';

const USAGE = `usage: npm run infra -- <command> [service...]

commands:
  up [service...]         install what is missing, start, and wait until healthy
                          (no service named: all but the optional ones)
  down [service...]       stop what \`up\` started
  status [--json]         probe every service
  logs <service> [-f] [-n <lines>]
                          print (or follow) a service's log
  reset [service...]      stop and delete data, configuration and logs
  env                     print \`export VAR=value\` lines for apps and tests

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

function serviceArgs(args: readonly string[]): ServiceName[] | undefined {
  if (args.length === 0) return undefined;
  return args.map((arg) => {
    if (!(SERVICE_NAMES as readonly string[]).includes(arg)) {
      throw new UsageError(`unknown service "${arg}": choose from ${SERVICE_NAMES.join(', ')}`);
    }
    return arg as ServiceName;
  });
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

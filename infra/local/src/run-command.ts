/**
 * Runs short-lived commands (installers, mariadb-install-db, Kafka's storage format) to
 * completion. Their output goes to a log file, never to our stdout, and the tail of it is
 * put in the error when the command fails, so the message alone says what went wrong.
 */
import { spawn } from 'node:child_process';
import { accessSync, appendFileSync, constants, mkdirSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

/** Options for {@link runCommand}. */
export interface RunOptions {
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** File the command's output is appended to. */
  readonly logFile: string;
  /** @default 600000 (10 minutes) */
  readonly timeoutMs?: number;
  /** What to tell the user when the command fails, after the output's tail. */
  readonly hint?: string;
}

const TAIL_BYTES = 4000;

/** Runs `command args...`, resolving with its output when it exits 0. */
export async function runCommand(
  command: string,
  args: readonly string[],
  options: RunOptions,
): Promise<string> {
  mkdirSync(dirname(options.logFile), { recursive: true });
  const line = [command, ...args].join(' ');
  appendFileSync(options.logFile, `\n$ ${line}\n`);
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: options.timeoutMs ?? 600_000,
    killSignal: 'SIGKILL',
  });
  let output = '';
  const collect = (chunk: Buffer): void => {
    appendFileSync(options.logFile, chunk);
    output = (output + chunk.toString('utf8')).slice(-64 * 1024);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (exitCode, exitSignal) => resolve([exitCode, exitSignal]));
  }).catch((error: unknown) => {
    throw new Error(`could not run ${command}: ${(error as Error).message}`, { cause: error });
  });
  if (code === 0) return output;
  const how = signal === null ? `exited with ${code}` : `was killed by ${signal}`;
  const tail = output.trim().slice(-TAIL_BYTES);
  throw new Error(
    `\`${line}\` ${how}${tail ? `:\n${indent(tail)}` : ''}\n(full output in ${options.logFile})` +
      (options.hint ? `\n${options.hint}` : ''),
  );
}

/** The full path of an executable found on PATH (and the sbin folders), or undefined. */
export function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = [...(env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const dir of dirs) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

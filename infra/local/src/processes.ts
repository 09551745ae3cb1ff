/**
 * Long-running service processes: started fully detached, remembered by pid file, and
 * stopped only through that pid file.
 *
 * A service runs in its own session and process group (setsid), with stdin from /dev/null
 * and stdout/stderr appended to its log file. It inherits no pipe from us, so a shell or
 * CI step that waits for our output to close is never held open by it. That includes
 * descriptors our own parent leaked to us without close-on-exec (a CI runner's pipes,
 * say): Node passes those on to every child, so a small bash step closes every
 * descriptor above 2 before it execs the service (same pid, same start time).
 *
 * The pid file records the process's start time (field 22 of /proc/<pid>/stat) beside its
 * pid. A pid is only signalled when both still match, so a recycled pid that now belongs
 * to someone else's process is never touched, and nothing is ever found by name.
 */
import { spawn } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { findExecutable } from './run-command.ts';

/** What a pid file holds. */
export interface PidRecord {
  readonly pid: number;
  /** Clock ticks after boot when the process started; tells a recycled pid apart. */
  readonly startTime: string;
  readonly command: string;
  readonly startedAt: string;
}

/** What to start. */
export interface DetachedSpec {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly logFile: string;
  readonly pidFile: string;
}

/** Starts a process in its own session, writes its pid file, and returns its record. */
export async function spawnDetached(spec: DetachedSpec): Promise<PidRecord> {
  mkdirSync(dirname(spec.logFile), { recursive: true });
  mkdirSync(dirname(spec.pidFile), { recursive: true });
  const log = openSync(spec.logFile, 'a');
  let pid: number | undefined;
  try {
    writeFileSync(
      log,
      `\n--- ${new Date().toISOString()} starting: ${[spec.command, ...spec.args].map(quoted).join(' ')}\n`,
    );
    const [command, args] = withInheritedFdsClosed(spec.command, spec.args);
    const child = spawn(command, args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ['ignore', log, log],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    child.unref();
    pid = child.pid;
  } catch (error) {
    throw new Error(`could not start ${spec.command}: ${(error as Error).message}`, { cause: error });
  } finally {
    closeSync(log);
  }
  if (pid === undefined) throw new Error(`could not start ${spec.command}: no pid was assigned`);
  return recordProcess(spec.pidFile, pid, spec.command);
}

/**
 * Writes the pid file of a process that has just started (its start time is read now), for
 * processes started otherwise than by `spawnDetached`: the nodes a cluster supervisor runs.
 */
export function recordProcess(pidFile: string, pid: number, command: string): PidRecord {
  const record: PidRecord = {
    pid,
    startTime: procStartTime(pid) ?? '',
    command,
    startedAt: new Date().toISOString(),
  };
  writePidFile(pidFile, record);
  return record;
}

/** The pid file's record, or undefined when there is none or it cannot be read. */
export function readPidFile(pidFile: string): PidRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(pidFile, 'utf8')) as Partial<PidRecord>;
    if (typeof record.pid !== 'number' || typeof record.startTime !== 'string') return undefined;
    return record as PidRecord;
  } catch {
    return undefined;
  }
}

/** True when the recorded process is still the one we started and has not exited. */
export function isRunning(record: PidRecord): boolean {
  const stat = procStat(record.pid);
  if (stat === undefined) return false;
  // A zombie has exited; it only waits for its parent to collect its status.
  if (stat.state === 'Z' || stat.state === 'X') return false;
  return record.startTime === '' || stat.startTime === record.startTime;
}

/** The running process recorded in a pid file, or undefined. */
export function runningProcess(pidFile: string): PidRecord | undefined {
  const record = readPidFile(pidFile);
  return record !== undefined && isRunning(record) ? record : undefined;
}

/**
 * Stops the process recorded in a pid file: SIGTERM to its process group, then SIGKILL
 * after `graceMs`. Removes the pid file. Returns false when nothing of ours was running.
 */
export async function stopProcess(pidFile: string, graceMs = 20_000): Promise<boolean> {
  const record = readPidFile(pidFile);
  if (record === undefined || !isRunning(record)) {
    rmSync(pidFile, { force: true });
    return false;
  }
  signalGroup(record, 'SIGTERM');
  if (!(await waitForExit(record, graceMs))) {
    signalGroup(record, 'SIGKILL');
    if (!(await waitForExit(record, 5_000))) {
      throw new Error(
        `process ${record.pid} (${record.command}) survived SIGKILL; pid file kept at ${pidFile}`,
      );
    }
  }
  rmSync(pidFile, { force: true });
  return true;
}

const CLOSE_FDS_THEN_EXEC =
  'for fd in /proc/$$/fd/*; do n=${fd##*/}; if [ "$n" -gt 2 ]; then eval "exec $n>&-"; fi; done; exec "$0" "$@"';

function withInheritedFdsClosed(command: string, args: readonly string[]): [string, string[]] {
  const bash = findExecutable('bash');
  if (bash === undefined || !existsSync('/proc/self/fd')) return [command, [...args]];
  return [bash, ['-c', CLOSE_FDS_THEN_EXEC, command, ...args]];
}

function signalGroup(record: PidRecord, signal: NodeJS.Signals): void {
  try {
    // The service leads its own process group (detached spawn), so this reaches any
    // helper process it forked too.
    process.kill(-record.pid, signal);
  } catch {
    try {
      process.kill(record.pid, signal);
    } catch {
      // already gone
    }
  }
}

async function waitForExit(record: PidRecord, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!isRunning(record)) return true;
    await sleep(100);
  }
  return !isRunning(record);
}

function writePidFile(pidFile: string, record: PidRecord): void {
  const temporary = `${pidFile}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(record)}\n`);
  renameSync(temporary, pidFile);
}

function procStartTime(pid: number): string | undefined {
  return procStat(pid)?.startTime;
}

function procStat(pid: number): { state: string; startTime: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may contain spaces and parentheses; fields after the
  // last ')' are plain: state is field 3, starttime field 22.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTime = fields[19];
  if (state === undefined || startTime === undefined) return undefined;
  return { state, startTime };
}

function quoted(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/**
 * Keeps a fixed set of child processes running, so that a service made of several processes
 * (a cluster's nodes) is still one process to the orchestrator: one pid file, one log, one
 * process group for `down` to signal. `cluster-supervisor.ts` is the program; this is its logic.
 *
 * Each child appends its output to its own log file and has its own pid file, in the format
 * processes.ts writes, so a test can find one node and kill or pause it by pid. A child that
 * exits, however it exited, is started again after the restart delay. A child paused with
 * SIGSTOP has not exited (Node reports only exits), so it is left alone until it is resumed.
 *
 * Stopping sends the signal to every child (then SIGCONT, so a paused child can act on it),
 * SIGKILLs those still running after the grace period, and resolves once all have exited.
 * The grace period is shorter than the 20 s `down` waits before it SIGKILLs the group. The
 * children stay in the supervisor's process group, so that SIGKILL reaches them too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { recordProcess } from './processes.ts';
import type { LaunchSpec, ServiceContext } from './service-driver.ts';

/** One process the supervisor keeps running. */
export interface ChildSpec {
  /** Its name in the supervisor's log: `node-17001`, `broker-2`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd: string;
  /** Where its stdout and stderr are appended. */
  readonly logFile: string;
  /** Written at each start, removed when it exits. */
  readonly pidFile: string;
}

/** What `cluster-supervisor.ts` reads from its JSON file. */
export interface SupervisorSpec {
  readonly children: readonly ChildSpec[];
  /** How long a child that exited stays down before it is started again. @default 5000 */
  readonly restartDelayMs?: number;
  /** How long children may take to exit on stop before they are SIGKILLed. @default 15000 */
  readonly stopGraceMs?: number;
}

/** A running supervisor. */
export interface Supervisor {
  /** Stops every child (see the file comment); resolves once all have exited. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** The program the orchestrator starts for a supervised service. */
export const SUPERVISOR_SCRIPT = join(import.meta.dirname, 'cluster-supervisor.ts');

/**
 * The launch of a supervisor over `spec`: the spec is written to `supervisor.json` in the
 * service's folder, and Node runs the supervisor on it (type stripping runs the .ts as is).
 */
export function supervisorLaunch(ctx: ServiceContext, spec: SupervisorSpec): LaunchSpec {
  const specFile = join(ctx.paths.dir, 'supervisor.json');
  mkdirSync(ctx.paths.dir, { recursive: true });
  writeFileSync(specFile, `${JSON.stringify(spec, null, 2)}\n`);
  return { command: process.execPath, args: [SUPERVISOR_SCRIPT, specFile] };
}

/** Starts every child and keeps them running until `stop`. */
export function supervise(spec: SupervisorSpec, log: (line: string) => void): Supervisor {
  const restartDelayMs = spec.restartDelayMs ?? 5000;
  const running = new Map<ChildSpec, ChildProcess>();
  const restarts = new Set<NodeJS.Timeout>();
  let stopping = false;
  let allExited: (() => void) | undefined;

  const start = (child: ChildSpec): void => {
    const proc = launch(child);
    running.set(child, proc);
    proc.once('spawn', () => {
      if (proc.pid !== undefined) recordProcess(child.pidFile, proc.pid, child.command);
      log(`${child.name}: started, pid ${proc.pid}`);
    });
    let gone = false;
    const exited = (how: string): void => {
      if (gone) return;
      gone = true;
      running.delete(child);
      rmSync(child.pidFile, { force: true });
      if (stopping) {
        log(`${child.name}: ${how}`);
        if (running.size === 0) allExited?.();
        return;
      }
      log(`${child.name}: ${how}; starting it again in ${restartDelayMs} ms`);
      const timer = setTimeout(() => {
        restarts.delete(timer);
        if (!stopping) start(child);
      }, restartDelayMs);
      restarts.add(timer);
    };
    proc.once('exit', (code, signal) =>
      exited(signal === null ? `exited with code ${code}` : `killed by ${signal}`),
    );
    // A command that cannot be started reports only an error, and no exit.
    proc.once('error', (error) => {
      if (proc.pid === undefined) exited(`could not be started: ${error.message}`);
    });
  };

  for (const child of spec.children) start(child);

  return {
    async stop(signal = 'SIGTERM') {
      stopping = true;
      for (const timer of restarts) clearTimeout(timer);
      restarts.clear();
      if (running.size === 0) return;
      const done = new Promise<void>((resolve) => (allExited = resolve));
      log(`stopping ${running.size} children with ${signal}`);
      for (const proc of running.values()) {
        proc.kill(signal);
        proc.kill('SIGCONT');
      }
      const force = setTimeout(() => {
        log(`${running.size} children still running after ${spec.stopGraceMs ?? 15_000} ms: SIGKILL`);
        for (const proc of running.values()) proc.kill('SIGKILL');
      }, spec.stopGraceMs ?? 15_000);
      await done;
      clearTimeout(force);
    },
  };
}

function launch(child: ChildSpec): ChildProcess {
  mkdirSync(dirname(child.logFile), { recursive: true });
  const log = openSync(child.logFile, 'a');
  try {
    writeFileSync(
      log,
      `\n--- ${new Date().toISOString()} starting: ${[child.command, ...child.args].join(' ')}\n`,
    );
    // The descriptor is duplicated into the child while spawn runs, so it can be closed here.
    return spawn(child.command, child.args, { cwd: child.cwd, stdio: ['ignore', log, log] });
  } finally {
    closeSync(log);
  }
}

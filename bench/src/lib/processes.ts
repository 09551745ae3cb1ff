import { spawn, type ChildProcess } from 'node:child_process';

/**
 * With `SLUICE_BENCH_CPU_PROF_DIR` set, every process the bench starts writes a V8 CPU profile
 * there when it exits (`--cpu-prof`, which NODE_OPTIONS does not take); open them in Chrome's
 * DevTools to see where each app spends its CPU.
 */
const PROFILE_DIR = process.env['SLUICE_BENCH_CPU_PROF_DIR'];
const PROFILE_ARGS = PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : [];

/** Starts a Node script as a child process on this Node, its stderr passed through. */
export function node(script: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [...PROFILE_ARGS, script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

import { spawn, type ChildProcess } from 'node:child_process';

/** Starts a Node script as a child process on this Node, its stderr passed through. */
export function node(script: string, args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [script, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

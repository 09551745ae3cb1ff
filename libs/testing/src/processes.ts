import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** Stops a child process: SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
export async function stopProcess(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const force = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(force);
}

/** SIGKILLs a child process and resolves once it has exited; at once when it already had. */
export async function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

/** Options of {@link waitForReady}. */
export interface WaitForReadyOptions {
  /** @default 60 000 */
  readonly timeoutMs?: number;
  /** @default 100 */
  readonly intervalMs?: number;
  /** The process serving `url`: waiting stops, with an error, once it has exited. */
  readonly child?: ChildProcess;
  /** Who is waited for, in the error messages. @default the URL */
  readonly name?: string;
}

/** Polls `url` until it answers 2xx. Throws when the time is up, or when `child` exited first. */
export async function waitForReady(url: string, options: WaitForReadyOptions = {}): Promise<void> {
  const { timeoutMs = 60_000, intervalMs = 100, child, name = url } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child && child.exitCode !== null) {
      throw new Error(`${name} exited with ${child.exitCode} before it was ready`);
    }
    const ok = await fetch(url).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`${name} was not ready within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/**
 * A lock between processes on one machine: a file created exclusively, holding the
 * owner's pid. A second `up` (another terminal, a test runner) waits for the first
 * instead of racing it; a lock whose owner died is taken over, so a killed run never
 * blocks the next one.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Runs `work` while holding the lock at `lockFile`. */
export async function withFileLock<T>(
  lockFile: string,
  timeoutMs: number,
  work: () => Promise<T>,
): Promise<T> {
  await acquire(lockFile, timeoutMs);
  try {
    return await work();
  } finally {
    rmSync(lockFile, { force: true });
  }
}

/** True when a process with this pid exists (ours or not). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function acquire(lockFile: string, timeoutMs: number): Promise<void> {
  mkdirSync(dirname(lockFile), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      writeFileSync(lockFile, `${process.pid}\n`, { flag: 'wx' });
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    let owner: number;
    try {
      owner = Number(readFileSync(lockFile, 'utf8').trim());
    } catch {
      continue; // released between our two calls
    }
    // An empty file is a lock being written this instant; only a dead owner is stale.
    if (Number.isInteger(owner) && owner > 0 && !pidAlive(owner)) {
      rmSync(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${lockFile} is held by process ${owner} for over ${Math.round(timeoutMs / 1000)} s: ` +
          `wait for it, stop it, or delete the file`,
      );
    }
    await sleep(200);
  }
}

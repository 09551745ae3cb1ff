/**
 * Installs a tool into `$SLUICE_CACHE/tools/<name>-<version>/` so that a killed or failed
 * install never looks complete: the tool is built in a private temporary folder, a
 * `.installed` marker is written last, and the folder is renamed into place in one step.
 * A lock file (holding the installer's pid) makes a second `up` wait for the first
 * instead of downloading the same thing twice; a lock whose owner died is taken over.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pidAlive, withFileLock } from './file-lock.ts';

/** What to install. */
export interface ToolSpec {
  /** Folder that holds all tools. */
  readonly toolsDir: string;
  readonly name: string;
  readonly version: string;
  /** Fills `dir` with the tool. Must not touch anything outside it (but global caches). */
  readonly build: (dir: string) => Promise<void>;
  /** Called when an install actually starts, to tell the user. */
  readonly onInstall?: () => void;
}

const MARKER = '.installed';
const LOCK_WAIT_MS = 20 * 60_000;

/** The path of the installed tool, installing it first when needed. */
export async function ensureTool(spec: ToolSpec): Promise<string> {
  const finalDir = join(spec.toolsDir, `${spec.name}-${spec.version}`);
  if (isInstalled(finalDir)) return finalDir;
  mkdirSync(spec.toolsDir, { recursive: true });
  return withFileLock(`${finalDir}.lock`, LOCK_WAIT_MS, async () => {
    if (isInstalled(finalDir)) return finalDir;
    removeStaleTemporaries(spec.toolsDir, `.${spec.name}-${spec.version}.`);
    spec.onInstall?.();
    const temporary = join(spec.toolsDir, `.${spec.name}-${spec.version}.${process.pid}`);
    rmSync(temporary, { recursive: true, force: true });
    mkdirSync(temporary, { recursive: true });
    try {
      await spec.build(temporary);
      writeFileSync(join(temporary, MARKER), `${new Date().toISOString()}\n`);
      // A folder left by an older, unmarked install is in the way of the rename.
      rmSync(finalDir, { recursive: true, force: true });
      renameSync(temporary, finalDir);
    } catch (error) {
      rmSync(temporary, { recursive: true, force: true });
      throw error;
    }
    return finalDir;
  });
}

/** True when a tool folder holds a finished install. */
export function isInstalled(dir: string): boolean {
  return existsSync(join(dir, MARKER));
}

function removeStaleTemporaries(toolsDir: string, stem: string): void {
  for (const entry of readdirSync(toolsDir)) {
    if (!entry.startsWith(stem)) continue;
    const owner = Number(entry.slice(stem.length));
    if (!Number.isInteger(owner) || !pidAlive(owner)) {
      rmSync(join(toolsDir, entry), { recursive: true, force: true });
    }
  }
}

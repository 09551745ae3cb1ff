/** ingest-api as a process of its own (`src/main.ts`), for tests of how it starts and stops. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { tenantsEnv, tenantsText } from './harness.ts';

const main = join(import.meta.dirname, '..', 'src', 'main.ts');

export function tenantsFile(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-ingest-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'tenants.json');
  writeFileSync(file, tenantsText());
  return file;
}

export function start(env: Record<string, string>) {
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, ...tenantsEnv(), SLUICE_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  let stdout = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, exited, stderr: () => stderr, stdout: () => stdout };
}

export async function waitFor(url: string, exited: Promise<unknown>): Promise<Response> {
  let gone = false;
  void exited.then(() => (gone = true));
  for (let i = 0; i < 400 && !gone; i++) {
    try {
      const res = await fetch(url);
      if (res.ok) return res;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} never answered`);
}

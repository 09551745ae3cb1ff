#!/usr/bin/env node
// The `sluice` command. The CLI is TypeScript run from source (src/cli/main.ts): Node >= 22.22
// strips the types, and the workspace packages it imports resolve to their sources under the
// `@sluice/source` export condition, which this shim adds to every resolution in this process
// (module.registerHooks), so `npx sluice` needs no build and no flags. An older Node cannot
// run the sources: the command then re-runs itself through infra/local/node.sh, which finds or
// installs Node 24 the way every npm script of the repository does.
/* global process, URL */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

const CONDITION = '@sluice/source';
const entry = new URL('../src/cli/main.ts', import.meta.url);
const [major, minor] = process.versions.node.split('.').map(Number);
const recent = major > 22 || (major === 22 && minor >= 22);

if (recent && typeof module.registerHooks === 'function') {
  module.registerHooks({
    resolve(specifier, context, nextResolve) {
      const conditions = context.conditions ?? [];
      return nextResolve(
        specifier,
        conditions.includes(CONDITION) ? context : { ...context, conditions: [...conditions, CONDITION] },
      );
    },
  });
  const { run } = await import(entry.href);
  process.exitCode = await run(process.argv.slice(2));
} else {
  const nodeSh = fileURLToPath(new URL('../../../infra/local/node.sh', import.meta.url));
  if (!existsSync(nodeSh)) {
    process.stderr.write(
      `sluice: Node ${process.versions.node} is too old: the sluice CLI needs Node 22.22 or later (Node 24 LTS)\n`,
    );
    process.exit(2);
  }
  const child = spawn('bash', [nodeSh, 'node', fileURLToPath(entry), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, SLUICE_SKIP_INSTALL: process.env.SLUICE_SKIP_INSTALL ?? '1' },
  });
  // Ctrl-C reaches the whole process group; the child decides what it means, this shim waits.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (signal !== 'SIGINT') child.kill(signal);
    });
  }
  child.on('exit', (code, signal) => {
    process.exitCode = code ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1) : 1);
  });
}

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ensureTool, isInstalled } from '../src/tool-dir.ts';

function scratch(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-tools-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a failed install leaves nothing that looks installed, and the next one starts clean', async (t) => {
  const toolsDir = scratch(t);
  await assert.rejects(
    ensureTool({
      toolsDir,
      name: 'thing',
      version: '1',
      build: (dir) => {
        writeFileSync(join(dir, 'half'), '');
        return Promise.reject(new Error('download cut'));
      },
    }),
    /download cut/,
  );
  assert.deepEqual(readdirSync(toolsDir), []);

  let builds = 0;
  const build = (dir: string): Promise<void> => {
    builds += 1;
    writeFileSync(join(dir, 'bin'), '');
    return Promise.resolve();
  };
  const installed = await ensureTool({ toolsDir, name: 'thing', version: '1', build });
  assert.ok(isInstalled(installed) && existsSync(join(installed, 'bin')));
  await ensureTool({ toolsDir, name: 'thing', version: '1', build });
  assert.equal(builds, 1, 'an installed tool was built again');
});

test("a killed installer's lock and temporary folder are taken over", async (t) => {
  const toolsDir = scratch(t);
  // No live process has pid 2^22 + 1 (above the kernel's pid_max ceiling).
  const dead = 4194305;
  writeFileSync(join(toolsDir, 'thing-1.lock'), `${dead}\n`);
  mkdirSync(join(toolsDir, `.thing-1.${dead}`));
  const installed = await ensureTool({
    toolsDir,
    name: 'thing',
    version: '1',
    build: () => Promise.resolve(),
  });
  assert.ok(isInstalled(installed));
  assert.deepEqual(readdirSync(toolsDir), ['thing-1']);
});

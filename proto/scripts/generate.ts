/**
 * Generates libs/proto/src/gen from proto/ with buf and ts-proto, after `buf lint`.
 * With `--check` it generates into a temporary folder instead and fails, saying how to
 * regenerate, when the committed code differs from what the .proto files produce.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const committed = join(root, 'libs', 'proto', 'src', 'gen');
const check = process.argv.includes('--check');

function buf(args: string[]): void {
  execFileSync('buf', args, { cwd: root, stdio: 'inherit' });
}

function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p, 'utf8'));
    }
  };
  try {
    walk(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return out;
}

buf(['lint', 'proto']);

if (!check) {
  rmSync(committed, { recursive: true, force: true });
  buf(['generate', 'proto', '--template', 'proto/buf.gen.yaml', '-o', 'libs/proto']);
  console.log(`generated ${files(committed).size} files in ${relative(root, committed)}`);
} else {
  const tmp = mkdtempSync(join(tmpdir(), 'sluice-proto-'));
  try {
    buf(['generate', 'proto', '--template', 'proto/buf.gen.yaml', '-o', tmp]);
    const want = files(join(tmp, 'src', 'gen'));
    const have = files(committed);
    const drift = [...new Set([...want.keys(), ...have.keys()])]
      .filter((f) => want.get(f) !== have.get(f))
      .sort();
    if (drift.length > 0) {
      console.error(
        `libs/proto/src/gen does not match proto/ (${drift.join(', ')}).\n` +
          'Regenerate it with `npm run proto:generate` and commit the result.',
      );
      process.exit(1);
    }
    console.log(`proto: ${want.size} generated files match proto/`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Builds `native/sha256-state.c` into `build/sha256-state.node`, the SHA-256 whose state the
 * part-writer saves (see `src/resumable-sha256.ts`). infra/local/node.sh runs it whenever the
 * module is older than its source, and the image build runs it in a stage with a compiler.
 *
 * It needs a C compiler (`CC`, else `cc`) and Node's headers for the running Node: `node_api.h`
 * and OpenSSL's `openssl/sha.h`. They are looked for in `SLUICE_NODE_INCLUDE`, then where the
 * release tarball and the official images put them (`<prefix>/include/node`), then in the
 * registry's `node` package, which infra/local/node.sh installs. The module links against the
 * running Node's own exports, so it needs no library of its own.
 *
 *   node libs/checksums/native/build.ts [--if-stale]
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, 'sha256-state.c');
const out = join(here, '..', 'build', 'sha256-state.node');

function headerDirs(): string[] {
  const bin = dirname(process.execPath);
  return [
    process.env['SLUICE_NODE_INCLUDE'] ?? '',
    join(bin, '..', 'include', 'node'),
    join(bin, '..', 'node_modules', `node-${process.platform}-${process.arch}`, 'include', 'node'),
  ].filter((dir) => dir !== '');
}

if (process.argv.includes('--if-stale') && existsSync(out)) {
  const built = statSync(out).mtimeMs;
  if (built >= statSync(source).mtimeMs && built >= statSync(fileURLToPath(import.meta.url)).mtimeMs) {
    process.exit(0);
  }
}

const include = headerDirs().find(
  (dir) => existsSync(join(dir, 'node_api.h')) && existsSync(join(dir, 'openssl', 'sha.h')),
);
if (include === undefined) {
  console.error(
    `sluice: cannot build ${out}: no node_api.h with openssl/sha.h in ${headerDirs().join(', ')}; ` +
      'set SLUICE_NODE_INCLUDE to the include/node directory of this Node. ' +
      'Without the module the part-writer runs, but a crash loses the whole-file SHA-256 of uploads in flight.',
  );
  process.exit(1);
}

mkdirSync(dirname(out), { recursive: true });
// Built beside its final name and moved there: a process loading it never sees half a file.
const partial = `${out}.${process.pid}`;
const cc = process.env['CC'] ?? 'cc';
try {
  execFileSync(
    cc,
    ['-O2', '-Wall', '-Wextra', '-Werror', '-std=c11', '-shared', '-fPIC', '-fvisibility=hidden'].concat([
      `-I${include}`,
      '-o',
      partial,
      source,
    ]),
    { stdio: 'inherit' },
  );
  renameSync(partial, out);
} catch (err) {
  rmSync(partial, { force: true });
  console.error(`sluice: cannot build ${out} with ${cc}: ${(err as Error).message}`);
  process.exit(1);
}

/**
 * Builds the native checksums module (`native/*.c`, see module.c) into `build/checksums.node`.
 * infra/local/node.sh runs it with `--if-stale` whenever the module is older than a source, and
 * the image build runs it in a stage with a compiler.
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
const sources = ['module.c', 'sha256-state.c', 'crc64-nvme.c'].map((file) => join(here, file));
const out = join(here, '..', 'build', 'checksums.node');

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
  const inputs = [...sources, join(here, 'checksums.h'), fileURLToPath(import.meta.url)];
  if (inputs.every((file) => statSync(file).mtimeMs <= built)) process.exit(0);
}

const include = headerDirs().find(
  (dir) => existsSync(join(dir, 'node_api.h')) && existsSync(join(dir, 'openssl', 'sha.h')),
);
if (include === undefined) {
  console.error(
    `sluice: cannot build ${out}: no node_api.h with openssl/sha.h in ${headerDirs().join(', ')}; ` +
      'set SLUICE_NODE_INCLUDE to the include/node directory of this Node. ' +
      'Without the module the apps run, but a part-writer crash loses the whole-file SHA-256 of uploads in flight, and CRC64/NVME runs in WebAssembly.',
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
      ...sources,
    ]),
    { stdio: 'inherit' },
  );
  renameSync(partial, out);
} catch (err) {
  rmSync(partial, { force: true });
  console.error(`sluice: cannot build ${out} with ${cc}: ${(err as Error).message}`);
  process.exit(1);
}

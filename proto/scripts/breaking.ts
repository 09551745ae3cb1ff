/**
 * `buf breaking` on proto/ against its last committed version, with the FILE rules of
 * buf.yaml: a change that would break generated code or the wire for existing events fails
 * the test, before the registry's compatibility rule ever sees it.
 *
 * The reference is HEAD when a .proto file has changes not yet committed; otherwise (a clean
 * checkout, as in CI) it is the commit before the newest one that changed a .proto file, so that
 * change is the one checked.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
/** The schema files themselves: scripts and settings beside them do not count as changes. */
const SCHEMAS = ':(glob)proto/**/*.proto';

function git(args: string[]): string {
  return execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
}

function reference(): { ref: string; why: string } | undefined {
  if (git(['status', '--porcelain', '--', SCHEMAS]) !== '') {
    return { ref: 'HEAD', why: 'uncommitted changes to the .proto files against HEAD' };
  }
  const newest = git(['log', '-1', '--format=%H', '--', SCHEMAS]);
  if (newest === '') return undefined;
  try {
    const parent = git(['rev-parse', '--verify', '--quiet', `${newest}^`]);
    return {
      ref: parent,
      why: `commit ${newest.slice(0, 12)}'s change to the .proto files against its parent`,
    };
  } catch {
    return undefined;
  }
}

const against = reference();
if (against === undefined) {
  process.stdout.write('proto: no earlier version of proto/ in this clone; nothing to compare\n');
} else {
  try {
    execFileSync('buf', ['breaking', 'proto', '--against', `.git#ref=${against.ref},subdir=proto`], {
      cwd: root,
      stdio: 'inherit',
    });
  } catch {
    process.stderr.write(
      `proto: the changes above break compatibility (${against.why}). Stored events and other ` +
        "services' generated code depend on field numbers, names and types: add new fields instead, " +
        'and reserve the number and name of a field you remove\n',
    );
    process.exit(1);
  }
  process.stdout.write(`proto: no breaking change (${against.why})\n`);
}

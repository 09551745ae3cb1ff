/**
 * versitygw, the S3 gateway, built from the Go module proxy with `go install`. The build
 * lands in `<tool dir>/bin/versitygw`; Go's module and build caches are its own.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { findExecutable, runCommand } from './run-command.ts';
import { VERSIONS } from './versions.ts';

/** Builds versitygw into `<dir>/bin`. */
export async function buildVersitygw(dir: string, logFile: string): Promise<void> {
  const go = findExecutable('go');
  if (go === undefined) {
    throw new Error(
      `versitygw is built with Go and \`go\` is not on PATH: install Go 1.25 or newer ` +
        `(Debian's golang-go is too old for it) and run \`npm run infra -- up\` again`,
    );
  }
  const bin = join(dir, 'bin');
  await runCommand(go, ['install', `github.com/versity/versitygw/cmd/versitygw@${VERSIONS.versitygw}`], {
    cwd: dir,
    env: { ...process.env, GOBIN: bin, GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim() },
    logFile,
    hint: 'The Go module proxy must be reachable (or the modules already in the Go module cache).',
  });
  if (!existsSync(join(bin, 'versitygw'))) {
    throw new Error(`go install finished but ${join(bin, 'versitygw')} is missing (see ${logFile})`);
  }
}

/**
 * Services built from the Go module proxy: versitygw (the S3 gateway) and Toxiproxy with
 * `go install`, and
 * Jaeger inside a small module of its own (`go get -tool`, then `go install tool`), since its
 * module carries replace directives that `go install <pkg>@<version>` refuses. Each build lands
 * in `<tool dir>/bin/`; Go's module and build caches are its own.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { findExecutable, runCommand } from './run-command.ts';
import { VERSIONS } from './versions.ts';

const PROXY_HINT = 'The Go module proxy must be reachable (or the modules already in the Go module cache).';

function goBinary(tool: string): string {
  const go = findExecutable('go');
  if (go === undefined) {
    throw new Error(
      `${tool} is built with Go and \`go\` is not on PATH: install Go 1.25 or newer ` +
        `(Debian's golang-go is too old for it) and run \`npm run infra -- up\` again`,
    );
  }
  return go;
}

function goEnv(bin: string): NodeJS.ProcessEnv {
  return { ...process.env, GOBIN: bin, GOFLAGS: `${process.env.GOFLAGS ?? ''} -buildvcs=false`.trim() };
}

function requireBuilt(bin: string, name: string, logFile: string): void {
  if (!existsSync(join(bin, name))) {
    throw new Error(`the Go build finished but ${join(bin, name)} is missing (see ${logFile})`);
  }
}

/** Builds versitygw into `<dir>/bin`. */
export async function buildVersitygw(dir: string, logFile: string): Promise<void> {
  const go = goBinary('versitygw');
  const bin = join(dir, 'bin');
  await runCommand(go, ['install', `github.com/versity/versitygw/cmd/versitygw@${VERSIONS.versitygw}`], {
    cwd: dir,
    env: goEnv(bin),
    logFile,
    hint: PROXY_HINT,
  });
  requireBuilt(bin, 'versitygw', logFile);
}

/** Builds Jaeger (`cmd/jaeger`, the all-in-one with OTLP and the query API) into `<dir>/bin`. */
export async function buildJaeger(dir: string, logFile: string): Promise<void> {
  const go = goBinary('jaeger');
  const bin = join(dir, 'bin');
  const module = join(dir, 'module');
  mkdirSync(module, { recursive: true });
  const options = { cwd: module, env: goEnv(bin), logFile, hint: PROXY_HINT };
  await runCommand(go, ['mod', 'init', 'sluice.local/jaeger'], options);
  await runCommand(
    go,
    ['get', '-tool', `github.com/jaegertracing/jaeger/cmd/jaeger@${VERSIONS.jaeger}`],
    options,
  );
  await runCommand(go, ['install', 'tool'], options);
  requireBuilt(bin, 'jaeger', logFile);
}

/** Builds the Toxiproxy server (`cmd/server`, installed as `server`) into `<dir>/bin`. */
export async function buildToxiproxy(dir: string, logFile: string): Promise<void> {
  const go = goBinary('toxiproxy');
  const bin = join(dir, 'bin');
  await runCommand(go, ['install', `github.com/Shopify/toxiproxy/v2/cmd/server@${VERSIONS.toxiproxy}`], {
    cwd: dir,
    env: goEnv(bin),
    logFile,
    hint: PROXY_HINT,
  });
  requireBuilt(bin, 'server', logFile);
}

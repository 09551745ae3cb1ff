/**
 * Builds and runs the Java interop program (interop/java): a consumer and a producer on
 * Apicurio's stock Protobuf serdes.
 *
 * The build lives outside the checkout, in `$SLUICE_CACHE/interop/java-<hash>/`, where the hash
 * covers pom.xml and every file under src/: a test run after the first reuses it (no Maven at
 * all), a changed source builds a new one beside it. A build happens in a temporary folder that
 * is renamed into place when complete, so concurrent test processes never see half a build;
 * builds of earlier sources are then deleted. Maven resolves from Maven Central into ~/.m2 the
 * first time (about 80 jars, 100 MB); a build takes 3 s with ~/.m2 filled, 7–25 s without.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { cp } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const projectDir = join(import.meta.dirname, '..', 'interop', 'java');

/** The classpath of the built program, building it first when needed. */
export async function javaInteropClasspath(): Promise<string> {
  const cache =
    process.env.SLUICE_CACHE || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'sluice');
  const dir = join(cache, 'interop', `java-${sourceHash()}`);
  if (!existsSync(join(dir, 'target', 'BUILT'))) await build(dir);
  return `${join(dir, 'target', 'classes')}:${join(dir, 'target', 'lib', '*')}`;
}

/** Runs the program; resolves with its stdout lines. Rejects with its stderr when it fails. */
export async function runJavaInterop(args: readonly string[], timeoutMs = 90_000): Promise<string[]> {
  const classpath = await javaInteropClasspath();
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  try {
    const { stdout } = await run(java, ['-Xmx256m', '-cp', classpath, 'io.sluice.interop.Interop', ...args], {
      timeout: timeoutMs,
      maxBuffer: 16 * 1024 * 1024,
    });
    return stdout.split('\n').filter((line) => line.trim() !== '');
  } catch (error) {
    const { stderr, code } = error as { stderr?: string; code?: unknown };
    throw new Error(`java interop ${args[0]} failed (exit ${String(code)}):\n${stderr ?? String(error)}`, {
      cause: error,
    });
  }
}

function sourceHash(): string {
  const hash = createHash('sha256');
  for (const file of listFiles(projectDir)
    .filter((f) => f === 'pom.xml' || f.startsWith('src/'))
    .sort()) {
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(join(projectDir, file)))
      .update('\0');
  }
  return hash.digest('hex').slice(0, 16);
}

function listFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'target') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...listFiles(path).map((f) => join(entry, f)));
    else out.push(entry);
  }
  return out;
}

async function build(dir: string): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(tmp, { recursive: true });
  try {
    await cp(join(projectDir, 'pom.xml'), join(tmp, 'pom.xml'));
    await cp(join(projectDir, 'src'), join(tmp, 'src'), { recursive: true });
    try {
      await run('mvn', ['-B', '-q', '-Dstyle.color=never', '-DskipTests', 'package'], {
        cwd: tmp,
        timeout: 15 * 60_000,
        maxBuffer: 64 * 1024 * 1024,
      });
    } catch (error) {
      const { stdout, stderr, code } = error as { stdout?: string; stderr?: string; code?: unknown };
      if (code === 'ENOENT') {
        throw new Error(
          'the Java interop test needs Maven (`mvn`) on PATH: install it (apt-get install maven)',
          {
            cause: error,
          },
        );
      }
      throw new Error(`building ${projectDir} with Maven failed:\n${stdout ?? ''}${stderr ?? ''}`, {
        cause: error,
      });
    }
    await cp(join(tmp, 'pom.xml'), join(tmp, 'target', 'BUILT'));
    try {
      renameSync(tmp, dir);
    } catch (error) {
      // Another process finished the same build first; its copy is as good as ours.
      if (!existsSync(join(dir, 'target', 'BUILT'))) throw error;
    }
    // Builds of earlier sources are dead weight (tens of MB each).
    for (const entry of readdirSync(dirname(dir))) {
      const path = join(dirname(dir), entry);
      if (/^java-[0-9a-f]{16}$/.test(entry) && path !== dir) rmSync(path, { recursive: true, force: true });
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

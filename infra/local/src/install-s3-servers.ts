/**
 * The S3 compatibility matrix's extra stores, each installed into its own tool folder:
 *
 *   moto-<v>/site/        moto[server] and its dependencies from PyPI (`pip install --target`,
 *                         so no virtualenv paths are baked in); run as `python3 -m moto.server`
 *   s3proxy-<v>/s3proxy.jar  `org.gaul:s3proxy:<v>:jar:jar-with-dependencies` from Maven Central
 */
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { findExecutable, runCommand } from './run-command.ts';
import { VERSIONS } from './versions.ts';

/** python3 on PATH, which runs moto. */
export function python3(): string {
  const found = findExecutable('python3');
  if (found === undefined)
    throw new Error("moto's S3 server needs python3 on PATH (Debian: apt-get install python3)");
  return found;
}

/** Fills `dir/site` with moto's server and its dependencies. */
export async function buildMoto(dir: string, logFile: string): Promise<void> {
  await runCommand(
    python3(),
    [
      '-m',
      'pip',
      'install',
      '--quiet',
      '--disable-pip-version-check',
      '--target',
      join(dir, 'site'),
      `moto[server]==${VERSIONS.moto}`,
    ],
    { logFile, hint: 'PyPI must be reachable.' },
  );
  if (!existsSync(join(dir, 'site', 'moto', 'server.py'))) {
    throw new Error(`pip finished but moto/server.py is missing (see ${logFile})`);
  }
}

/** Fills `dir` with s3proxy's self-contained jar. */
export async function buildS3proxy(dir: string, logFile: string): Promise<void> {
  const plugin = `org.apache.maven.plugins:maven-dependency-plugin:${VERSIONS.mavenDependencyPlugin}`;
  const artifact = `org.gaul:s3proxy:${VERSIONS.s3proxy}:jar:jar-with-dependencies`;
  await runCommand(
    'mvn',
    ['-B', '-q', '-ntp', `${plugin}:copy`, `-Dartifact=${artifact}`, `-DoutputDirectory=${dir}`],
    {
      cwd: dir,
      logFile,
      hint: 'Maven Central must be reachable (or the artifact already in ~/.m2).',
    },
  );
  const jar = join(dir, `s3proxy-${VERSIONS.s3proxy}-jar-with-dependencies.jar`);
  if (!existsSync(jar)) throw new Error(`Maven finished but ${jar} is missing (see ${logFile})`);
  renameSync(jar, join(dir, 's3proxy.jar'));
}

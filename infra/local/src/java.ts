/**
 * Finds a Java runtime for each JVM service. The machines ship OpenJDK 17 as `java` and a
 * newer Temurin under /usr/lib/jvm; Kafka runs on 17 and Apicurio 3.3 needs 21, so each
 * service gets the oldest installed Java that is new enough (the best-tested choice).
 */
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { findExecutable } from './run-command.ts';

/** A Java installation. */
export interface JavaHome {
  readonly home: string;
  readonly major: number;
  readonly java: string;
}

/**
 * The Java to run a service needing `minMajor` with: `SLUICE_JAVA_HOME` when set and new
 * enough, otherwise the oldest new-enough one among JAVA_HOME, `java` on PATH and
 * /usr/lib/jvm.
 * @throws Error listing the Javas found and saying what to install.
 */
export function findJava(minMajor: number, purpose: string, env: NodeJS.ProcessEnv = process.env): JavaHome {
  const found = candidates(env);
  const preferred = env.SLUICE_JAVA_HOME ? found.find((j) => j.home === env.SLUICE_JAVA_HOME) : undefined;
  if (preferred !== undefined && preferred.major >= minMajor) return preferred;
  const fit = found.filter((j) => j.major >= minMajor).sort((a, b) => a.major - b.major);
  const best = fit[0];
  if (best !== undefined) return best;
  const seen = found.map((j) => `Java ${j.major} at ${j.home}`).join(', ') || 'none';
  throw new Error(
    `${purpose} needs Java ${minMajor} or newer; found ${seen}. ` +
      `Install a JDK ${minMajor}+ (for example under /usr/lib/jvm) or point SLUICE_JAVA_HOME at one.`,
  );
}

function candidates(env: NodeJS.ProcessEnv): JavaHome[] {
  const homes = new Set<string>();
  if (env.SLUICE_JAVA_HOME) homes.add(env.SLUICE_JAVA_HOME);
  if (env.JAVA_HOME) homes.add(env.JAVA_HOME);
  const onPath = findExecutable('java', env);
  if (onPath !== undefined) {
    try {
      homes.add(dirname(dirname(realpathSync(onPath))));
    } catch {
      // a dangling alternatives link
    }
  }
  try {
    for (const entry of readdirSync('/usr/lib/jvm')) homes.add(join('/usr/lib/jvm', entry));
  } catch {
    // no system JDKs
  }
  const result: JavaHome[] = [];
  const seenReal = new Set<string>();
  for (const home of homes) {
    const java = join(home, 'bin', 'java');
    let real: string;
    try {
      real = realpathSync(java);
    } catch {
      continue;
    }
    if (seenReal.has(real)) continue;
    const major = releaseMajor(home);
    if (major === undefined) continue;
    seenReal.add(real);
    result.push({ home, major, java });
  }
  return result;
}

function releaseMajor(home: string): number | undefined {
  try {
    const release = readFileSync(join(home, 'release'), 'utf8');
    const version = /^JAVA_VERSION="([^"]+)"/m.exec(release)?.[1];
    if (version === undefined) return undefined;
    // "1.8.0_402" is Java 8; "17.0.15" and "25" are what they say.
    const parts = version.split('.').map(Number);
    const major = parts[0] === 1 ? parts[1] : parts[0];
    return Number.isInteger(major) ? major : undefined;
  } catch {
    return undefined;
  }
}

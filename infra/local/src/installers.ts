/**
 * The installs one `up` may need, each started at most once and shared by the services
 * that wait for it. apt-get runs once for every missing package; Maven runs one at a
 * time, since concurrent runs on one local repository can corrupt downloads. The Go
 * build runs beside them.
 */
import { join } from 'node:path';
import { APT_PACKAGES, aptPackagePresent, installAptPackages, type AptPackage } from './install-apt.ts';
import { buildApicurio, buildKafka } from './install-jvm-tools.ts';
import { buildJaeger, buildToxiproxy, buildVersitygw } from './install-go-tools.ts';
import { buildMoto, buildS3proxy } from './install-s3-servers.ts';
import type { InfraPaths } from './paths.ts';
import { findExecutable } from './run-command.ts';
import { ensureTool, isInstalled } from './tool-dir.ts';
import { VERSIONS } from './versions.ts';

/** Installed locations of what the services run. */
export interface Installers {
  /** Makes sure a Debian package's programs are present. */
  apt(name: AptPackage): Promise<void>;
  /** The Kafka tool folder (`libs/`, `config/`). */
  kafka(): Promise<string>;
  /** The Apicurio tool folder (`app/quarkus-run.jar`). */
  apicurio(): Promise<string>;
  /** The versitygw binary. */
  versitygw(): Promise<string>;
  /** The Jaeger binary. */
  jaeger(): Promise<string>;
  /** The Toxiproxy server binary. */
  toxiproxy(): Promise<string>;
  /** The PYTHONPATH folder holding moto's server and its dependencies. */
  moto(): Promise<string>;
  /** s3proxy's self-contained jar. */
  s3proxy(): Promise<string>;
}

/**
 * Creates the installers for one run. `aptNeeded` lists every package the requested
 * services use, so the first request installs all that are missing in one apt-get.
 */
export function createInstallers(
  paths: InfraPaths,
  aptNeeded: readonly AptPackage[],
  say: (message: string) => void,
): Installers {
  let aptRun: Promise<void> | undefined;
  const apt = (name: AptPackage): Promise<void> => {
    if (aptPresent(name) && aptRun === undefined) return Promise.resolve();
    aptRun ??= (async () => {
      const missing = [...new Set([...aptNeeded, name])].filter((n) => !aptPresent(n));
      if (missing.length === 0) return;
      say(`installing ${missing.join(', ')} with apt-get (log: ${paths.installLog})`);
      await installAptPackages(missing, paths.installLog);
    })();
    return aptRun;
  };

  // One Maven at a time: each call waits for the previous one, failed or not.
  let mavenQueue: Promise<unknown> = Promise.resolve();
  const withMaven = async <T>(work: () => Promise<T>): Promise<T> => {
    const run = mavenQueue.then(async () => {
      if (findExecutable('mvn') === undefined) await apt('maven');
      return work();
    });
    mavenQueue = run.catch(() => undefined);
    return run;
  };

  const tool = (
    name: string,
    version: string,
    build: (dir: string, log: string) => Promise<void>,
    serial: (work: () => Promise<string>) => Promise<string>,
  ): (() => Promise<string>) => {
    let result: Promise<string> | undefined;
    return () => {
      const dir = join(paths.tools, `${name}-${version}`);
      if (result === undefined && isInstalled(dir)) result = Promise.resolve(dir);
      result ??= serial(() =>
        ensureTool({
          toolsDir: paths.tools,
          name,
          version,
          build: (target) => build(target, paths.installLog),
          onInstall: () => say(`installing ${name} ${version} into ${dir} (log: ${paths.installLog})`),
        }),
      );
      return result;
    };
  };

  const versitygwDir = tool('versitygw', VERSIONS.versitygw, buildVersitygw, (work) => work());
  const jaegerDir = tool('jaeger', VERSIONS.jaeger, buildJaeger, (work) => work());
  const toxiproxyDir = tool('toxiproxy', VERSIONS.toxiproxy, buildToxiproxy, (work) => work());
  const motoDir = tool('moto', VERSIONS.moto, buildMoto, (work) => work());
  const s3proxyDir = tool('s3proxy', VERSIONS.s3proxy, buildS3proxy, withMaven);
  return {
    apt,
    kafka: tool('kafka', VERSIONS.kafka, buildKafka, withMaven),
    apicurio: tool('apicurio', VERSIONS.apicurio, buildApicurio, withMaven),
    versitygw: async () => join(await versitygwDir(), 'bin', 'versitygw'),
    jaeger: async () => join(await jaegerDir(), 'bin', 'jaeger'),
    toxiproxy: async () => join(await toxiproxyDir(), 'bin', 'server'),
    moto: async () => join(await motoDir(), 'site'),
    s3proxy: async () => join(await s3proxyDir(), 's3proxy.jar'),
  };
}

function aptPresent(name: AptPackage): boolean {
  return name in APT_PACKAGES && aptPackagePresent(name);
}

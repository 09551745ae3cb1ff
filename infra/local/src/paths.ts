/**
 * Where the local infrastructure keeps things, all outside the checkout so a fresh clone
 * on the same machine reuses them:
 *
 *   $SLUICE_CACHE/                 (default ~/.cache/sluice; infra/local/node.sh exports it)
 *     tools/<name>-<version>/      installed programs; complete only when `.installed` exists
 *     run/                         ($SLUICE_INFRA_DIR) state of the running services
 *       <service>/service.pid      pid and start time of the process `up` started
 *       <service>/service.log      its stdout and stderr
 *       <service>/data/            its data; `reset` deletes the whole <service>/ folder
 *       install.log                output of the last installs
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { ServiceName } from '@sluice/config';
import type { Env } from '@sluice/testing';

/** Folders of one service's running state. */
export interface ServicePaths {
  readonly dir: string;
  readonly dataDir: string;
  readonly pidFile: string;
  readonly logFile: string;
}

/** The cache and state folders, resolved once from the environment. */
export interface InfraPaths {
  readonly cache: string;
  readonly tools: string;
  readonly run: string;
  readonly installLog: string;
  service(name: ServiceName): ServicePaths;
}

/** Resolves the folders from `SLUICE_CACHE`, `SLUICE_INFRA_DIR` and `XDG_CACHE_HOME`. */
export function infraPaths(env: Env = process.env): InfraPaths {
  const cache = env.SLUICE_CACHE || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'sluice');
  const run = env.SLUICE_INFRA_DIR || join(cache, 'run');
  return {
    cache,
    tools: join(cache, 'tools'),
    run,
    installLog: join(run, 'install.log'),
    service(name) {
      const dir = join(run, name);
      return {
        dir,
        dataDir: join(dir, 'data'),
        pidFile: join(dir, 'service.pid'),
        logFile: join(dir, 'service.log'),
      };
    },
  };
}

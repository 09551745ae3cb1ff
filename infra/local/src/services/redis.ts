/**
 * Redis 7 from Debian. Staged chunks live here, so it must refuse writes when full rather
 * than evict (noeviction), and a restart may lose everything (no RDB, no AOF): losing
 * staged chunks with Redis is an accepted failure (DESIGN.md).
 */
import { mkdirSync } from 'node:fs';
import type { ServiceDriver } from '../service-driver.ts';
import { findExecutable } from '../run-command.ts';

/** Memory limit; `SLUICE_REDIS_MAXMEMORY` changes it (Redis units: 512mb, 4gb, ...). */
const DEFAULT_MAXMEMORY = '2gb';

export const redis: ServiceDriver = {
  name: 'redis',
  aptPackages: ['redis-server'],
  startTimeoutMs: 30_000,
  async prepare(ctx) {
    await ctx.installers.apt('redis-server');
    mkdirSync(ctx.paths.dataDir, { recursive: true });
    const maxmemory = ctx.env.SLUICE_REDIS_MAXMEMORY || DEFAULT_MAXMEMORY;
    return {
      command: findExecutable('redis-server') ?? 'redis-server',
      args: [
        '--bind',
        ctx.host,
        '--port',
        String(ctx.port),
        '--protected-mode',
        'yes',
        '--daemonize',
        'no',
        '--dir',
        ctx.paths.dataDir,
        '--logfile',
        '',
        '--maxmemory',
        maxmemory,
        '--maxmemory-policy',
        'noeviction',
        '--save',
        '',
        '--appendonly',
        'no',
      ],
    };
  },
};

/**
 * versitygw serving a folder as S3 (posix backend): each top-level folder of
 * `<run>/s3/data/` is a bucket. Object metadata goes in extended attributes; where the
 * folder's filesystem has none (some overlay and tmpfs mounts), it goes in a sidecar
 * folder instead. Credentials are the LOCAL_DEFAULTS root key pair, passed through the
 * environment so they do not show in `ps`.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { LOCAL_DEFAULTS } from '@sluice/config';
import { s3Client } from '@sluice/testing';
import { findExecutable, runCommand } from '../run-command.ts';
import type { ServiceContext, ServiceDriver } from '../service-driver.ts';

export const s3: ServiceDriver = {
  name: 's3',
  aptPackages: [],
  startTimeoutMs: 30_000,
  async prepare(ctx) {
    const binary = await ctx.installers.versitygw();
    const { dataDir } = ctx.paths;
    mkdirSync(dataDir, { recursive: true });
    const options: string[] = [];
    const sidecar = join(ctx.paths.dir, 'meta');
    // Once chosen, the sidecar stays: the metadata of existing objects lives there.
    if (existsSync(sidecar) || !(await supportsUserXattrs(ctx))) {
      if (!existsSync(sidecar)) {
        ctx.say(`s3: ${dataDir} has no extended attributes; keeping object metadata in ${sidecar}`);
        mkdirSync(sidecar, { recursive: true });
      }
      options.push('--sidecar', sidecar);
    }
    return {
      command: binary,
      args: [
        '--port',
        `${ctx.host}:${ctx.port}`,
        '--region',
        LOCAL_DEFAULTS.s3Region,
        '--quiet',
        'posix',
        ...options,
        dataDir,
      ],
      env: { ROOT_ACCESS_KEY: LOCAL_DEFAULTS.s3AccessKey, ROOT_SECRET_KEY: LOCAL_DEFAULTS.s3SecretKey },
    };
  },

  async provision(ctx) {
    // ctx.env carries no SLUICE_S3_* overrides, so the client uses this server's root keys.
    const client = s3Client({ maxAttempts: 3 }, ctx.env);
    const Bucket = LOCAL_DEFAULTS.s3Bucket;
    try {
      try {
        await client.send(new HeadBucketCommand({ Bucket }));
      } catch {
        await client.send(new CreateBucketCommand({ Bucket }));
      }
    } finally {
      client.destroy();
    }
  },
};

// Node has no xattr API; setfattr (Debian's attr) or Python's os.setxattr tell us. When
// neither is present, the sidecar is the choice that works everywhere.
async function supportsUserXattrs(ctx: ServiceContext): Promise<boolean> {
  const probe = join(ctx.paths.dataDir, `.xattr-probe-${randomUUID()}`);
  writeFileSync(probe, '');
  const attempt = async (command: string | undefined, args: string[]): Promise<boolean | undefined> => {
    if (command === undefined) return undefined;
    try {
      await runCommand(command, args, { logFile: ctx.infra.installLog, timeoutMs: 10_000 });
      return true;
    } catch {
      return false;
    }
  };
  try {
    return (
      (await attempt(findExecutable('setfattr'), ['-n', 'user.sluice', '-v', '1', probe])) ??
      (await attempt(findExecutable('python3'), [
        '-c',
        'import os, sys; os.setxattr(sys.argv[1], "user.sluice", b"1")',
        probe,
      ])) ??
      false
    );
  } finally {
    rmSync(probe, { force: true });
  }
}

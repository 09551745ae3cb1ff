/**
 * s3proxy (Maven Central `org.gaul:s3proxy`) over jclouds' filesystem blobstore, one of the S3
 * compatibility matrix's stores: each top-level folder of `<run>/s3proxy/data/` is a bucket and
 * each object a file. It checks AWS signatures (v2 or v4) against the LOCAL_DEFAULTS key pair,
 * written with the rest of its settings to `<run>/s3proxy/s3proxy.properties`. Optional:
 * `npm run infra -- up s3proxy`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_DEFAULTS } from '@sluice/config';
import { findJava } from '../java.ts';
import type { ServiceDriver } from '../service-driver.ts';
import { JAVA_MAJOR, VERSIONS } from '../versions.ts';
import { provisionLocalBucket } from './s3-bucket.ts';

export const s3proxy: ServiceDriver = {
  name: 's3proxy',
  aptPackages: [],
  startTimeoutMs: 60_000,
  async prepare(ctx) {
    const jar = await ctx.installers.s3proxy();
    const java = findJava(JAVA_MAJOR.s3proxy, `s3proxy ${VERSIONS.s3proxy}`, ctx.env);
    mkdirSync(ctx.paths.dataDir, { recursive: true });
    const properties = join(ctx.paths.dir, 's3proxy.properties');
    writeFileSync(
      properties,
      [
        `s3proxy.endpoint=http://${ctx.host}:${ctx.port}`,
        's3proxy.authorization=aws-v2-or-v4',
        `s3proxy.identity=${LOCAL_DEFAULTS.s3AccessKey}`,
        `s3proxy.credential=${LOCAL_DEFAULTS.s3SecretKey}`,
        'jclouds.provider=filesystem',
        `jclouds.filesystem.basedir=${ctx.paths.dataDir}`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    return {
      command: java.java,
      args: ['-Xmx256m', '-jar', jar, '--properties', properties],
    };
  },
  provision: provisionLocalBucket,
};

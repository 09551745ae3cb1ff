/**
 * moto's S3 server (PyPI `moto[server]`), one of the S3 compatibility matrix's stores. It keeps
 * everything in memory: a restart loses every bucket, and `provision` creates `sluice` again.
 * moto takes any access key and does not check signatures, so the local keys work as they do
 * everywhere. Optional: `npm run infra -- up s3-moto`.
 */
import { python3 } from '../install-s3-servers.ts';
import type { ServiceDriver } from '../service-driver.ts';
import { provisionLocalBucket } from './s3-bucket.ts';

export const s3Moto: ServiceDriver = {
  name: 's3-moto',
  aptPackages: [],
  startTimeoutMs: 30_000,
  async prepare(ctx) {
    const site = await ctx.installers.moto();
    return {
      command: python3(),
      args: ['-m', 'moto.server', '-H', ctx.host, '-p', String(ctx.port)],
      env: { PYTHONPATH: site, PYTHONDONTWRITEBYTECODE: '1' },
    };
  },
  provision: provisionLocalBucket,
};

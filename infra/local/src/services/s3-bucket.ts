/**
 * Creates the LOCAL_DEFAULTS bucket on one of the local S3 servers, with the local keys, unless
 * it is there: what every S3 driver's `provision` does.
 */
import { CreateBucketCommand, HeadBucketCommand } from '@aws-sdk/client-s3';
import { LOCAL_DEFAULTS } from '@sluice/config';
import { s3Client, serviceEndpoint } from '@sluice/testing';
import type { ServiceContext } from '../service-driver.ts';

/** Makes sure the `sluice` bucket exists on the service of `ctx`. */
export async function provisionLocalBucket(ctx: ServiceContext): Promise<void> {
  // ctx.env carries no SLUICE_S3_* overrides, so the client uses the local keys.
  const client = s3Client({ maxAttempts: 3, endpoint: serviceEndpoint(ctx.name, ctx.env).url }, ctx.env);
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
}

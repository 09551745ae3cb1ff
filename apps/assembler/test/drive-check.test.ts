import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ListMultipartUploadsCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createBucket, requireServices, s3Settings } from '@sluice/testing';
import { tenantsFile } from './support.ts';

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const run = promisify(execFile);

/** Runs the command; resolves with its exit code and output whatever the code. */
async function driveCheck(
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const out = await run(process.execPath, ['src/drive-check.ts', ...args], { cwd: appDir, env });
    return { code: 0, ...out };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

describe('drive-check command (versitygw)', () => {
  it('passes a drive set right, names the bucket and the credentials of drives set wrong, and cleans up', async (t) => {
    await requireServices(['s3']);
    const { bucket, client } = await createBucket(t, { prefix: 'drive-check' });
    const s = s3Settings();
    const drive = (name: string, overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
      name,
      endpoint: s.endpoint,
      region: s.region,
      bucket,
      checksumMode: 'crc64nvme',
      partSizePolicy: { kind: 'fixed', partSize: '5MiB' },
      credentials: { accessKeyIdEnv: 'DC_KEY', secretAccessKeyEnv: 'DC_SECRET' },
      ...overrides,
    });
    const file = await tenantsFile(
      t,
      JSON.stringify({
        tenants: [
          {
            name: 'tenant-a',
            apiKeys: [{ key: 'k' }],
            drives: [
              drive('right'),
              drive('no-bucket', { bucket: `${bucket}-missing` }),
              drive('bad-credentials', {
                credentials: { accessKeyIdEnv: 'DC_KEY', secretAccessKeyEnv: 'DC_WRONG_SECRET' },
              }),
            ],
          },
        ],
      }),
    );
    const env = {
      ...process.env,
      SLUICE_TENANTS_FILE: file,
      DC_KEY: s.accessKeyId,
      DC_SECRET: s.secretAccessKey,
      DC_WRONG_SECRET: `${s.secretAccessKey}-wrong`,
      SLUICE_LOG_LEVEL: 'warn',
    };

    const right = await driveCheck(['tenant-a', 'right'], env);
    assert.equal(right.code, 0, right.stdout + right.stderr);
    assert.match(right.stdout, new RegExp(`^store reachable: yes; bucket ${bucket} answers`, 'm'));
    assert.match(right.stdout, /^\| CRC64NVME full-object, stored and returned \| yes/m);
    assert.match(right.stdout, /^ {2}checksumMode: crc64nvme \/ crc64nvme$/m);
    assert.match(
      right.stdout,
      /^works with the current settings: multipart upload, parts of 5242880 \+ 5242880 \+ 1000 bytes, checksumMode crc64nvme/m,
    );
    assert.doesNotMatch(right.stdout, /^fails with/m);
    assert.match(right.stdout, /^result: the current settings work$/m);
    // The scratch prefix is emptied: no object and no unfinished upload is left in the bucket.
    const objects = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
    assert.deepEqual(objects.Contents ?? [], []);
    const uploads = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket }));
    assert.deepEqual(uploads.Uploads ?? [], []);

    const noBucket = await driveCheck(['tenant-a', 'no-bucket'], env);
    assert.equal(noBucket.code, 2, noBucket.stdout + noBucket.stderr);
    assert.match(
      noBucket.stdout,
      new RegExp(
        `^store reachable: no \\(bucket\\): bucket ${bucket}-missing does not exist .*check the drive's bucket`,
        'm',
      ),
    );

    const badCredentials = await driveCheck(['tenant-a', 'bad-credentials'], env);
    assert.equal(badCredentials.code, 2, badCredentials.stdout + badCredentials.stderr);
    assert.match(
      badCredentials.stdout,
      /^store reachable: no \(credentials\): .*refused the drive's credentials/m,
    );
    assert.doesNotMatch(badCredentials.stdout, new RegExp(s.secretAccessKey));
  });

  it('exits 2 and says what to pass when the arguments are wrong', async (t) => {
    const file = await tenantsFile(
      t,
      JSON.stringify({
        tenants: [
          {
            name: 'tenant-a',
            apiKeys: [{ key: 'k' }],
            drives: [
              {
                name: 'docs',
                endpoint: 'http://127.0.0.1:1',
                region: 'us-east-1',
                bucket: 'b',
                credentials: { accessKeyIdEnv: 'DC_KEY', secretAccessKeyEnv: 'DC_KEY' },
              },
            ],
          },
        ],
      }),
    );
    const env = { ...process.env, SLUICE_TENANTS_FILE: file, DC_KEY: 'x' };
    const none = await driveCheck([], env);
    assert.equal(none.code, 2);
    assert.match(
      none.stderr,
      /pass a tenant and one of its drives\nusage: .*drive-check -- <tenant> <drive>/,
    );
    const unknown = await driveCheck(['tenant-a', 'photos'], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /has no drive "photos" in tenant "tenant-a": its drives are docs/);
    const down = await driveCheck(['tenant-a', 'docs'], env);
    assert.equal(down.code, 2);
    assert.match(
      down.stdout,
      /^store reachable: no \(unreachable\): the store at http:\/\/127\.0\.0\.1:1 cannot be reached/m,
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseEnv } from '@sluice/config';
import { partWriterEnv } from '../src/config.ts';

describe('part-writer config', () => {
  it('needs only the tenants file and defaults the rest', () => {
    const config = parseEnv(partWriterEnv, { SLUICE_TENANTS_FILE: '/etc/sluice/tenants.json' });
    assert.equal(config.SLUICE_PART_WRITER_PART_CONCURRENCY, 8);
    assert.equal(config.SLUICE_PART_WRITER_UPLOAD_CONCURRENCY, 4);
    assert.equal(config.SLUICE_PART_WRITER_GROUP_ID, 'sluice-part-writer');
    assert.equal(config.SLUICE_PART_WRITER_S3_TIMEOUT, 120_000);
    assert.equal(config.SLUICE_PART_WRITER_HTTP_PORT, 18082);
  });

  it('names every bad variable', () => {
    assert.throws(
      () =>
        parseEnv(partWriterEnv, {
          SLUICE_PART_WRITER_PART_CONCURRENCY: '0',
          SLUICE_PART_WRITER_S3_TIMEOUT: 'soon',
        }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.issues
          .map((i) => i.variable)
          .sort()
          .join() === 'SLUICE_PART_WRITER_PART_CONCURRENCY,SLUICE_PART_WRITER_S3_TIMEOUT,SLUICE_TENANTS_FILE',
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, parseEnv } from '@sluice/config';
import { ingestEnv } from '../src/config.ts';

const required = { SLUICE_TENANTS_FILE: '/etc/sluice/tenants.json' };

describe('ingest-api configuration', () => {
  it('reads the global staged-byte budget as a size, none when unset', () => {
    assert.equal(parseEnv(ingestEnv, required).SLUICE_INGEST_STAGED_BYTES_MAX, 0);
    assert.equal(
      parseEnv(ingestEnv, { ...required, SLUICE_INGEST_STAGED_BYTES_MAX: '2GiB' })
        .SLUICE_INGEST_STAGED_BYTES_MAX,
      2 * 1024 ** 3,
    );
  });

  it('refuses a bad global budget, naming the variable', () => {
    assert.throws(
      () => parseEnv(ingestEnv, { ...required, SLUICE_INGEST_STAGED_BYTES_MAX: 'lots' }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /SLUICE_INGEST_STAGED_BYTES_MAX="lots" is not valid; expected a size in bytes/.test(e.message),
    );
  });
});

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

  it('reads the receive windows as sizes HTTP/2 allows, 4 MiB a call and 16 MiB a connection when unset', () => {
    const unset = parseEnv(ingestEnv, required);
    assert.equal(unset.SLUICE_INGEST_RECEIVE_WINDOW, 4 * 1024 * 1024);
    assert.equal(unset.SLUICE_INGEST_CONNECTION_WINDOW, 16 * 1024 * 1024);
    const set = parseEnv(ingestEnv, {
      ...required,
      SLUICE_INGEST_RECEIVE_WINDOW: '8MiB',
      SLUICE_INGEST_CONNECTION_WINDOW: '64MiB',
    });
    assert.equal(set.SLUICE_INGEST_RECEIVE_WINDOW, 8 * 1024 * 1024);
    assert.equal(set.SLUICE_INGEST_CONNECTION_WINDOW, 64 * 1024 * 1024);
    assert.throws(
      () => parseEnv(ingestEnv, { ...required, SLUICE_INGEST_CONNECTION_WINDOW: '32KiB' }),
      (e: unknown) =>
        e instanceof ConfigError &&
        /SLUICE_INGEST_CONNECTION_WINDOW="32KiB" is not valid; expected a size in bytes from 65535 to 2147483647/.test(
          e.message,
        ),
    );
  });
});

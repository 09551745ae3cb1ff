import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { makeTlsFiles, startRedisServer } from '@sluice/testing';
import { printableUrl, redisOptions, Startup, type RedisConfig } from '../src/index.ts';

class Exit extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`exit ${code}`);
    this.code = code;
  }
}

function startup(): Startup {
  return new Startup('test-app', pino({ level: 'silent' }), (code) => {
    throw new Exit(code);
  });
}

describe('Startup', () => {
  it('ends with status 2 naming the tenants file when it cannot be read or is wrong', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-startup-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    assert.throws(
      () => startup().tenants(join(dir, 'missing.json')),
      (e: unknown) => e instanceof Exit && e.code === 2,
    );
    const bad = join(dir, 'tenants.json');
    writeFileSync(bad, '{"tenants": []}');
    assert.throws(() => startup().tenants(bad), Exit);
    writeFileSync(
      bad,
      JSON.stringify({
        tenants: [
          {
            name: 't',
            apiKeys: [{ key: 'k' }],
            drives: [
              {
                name: 'd',
                endpoint: 'http://x',
                bucket: 'b',
                credentials: { accessKeyIdEnv: 'A', secretAccessKeyEnv: 'B' },
              },
            ],
          },
        ],
      }),
    );
    assert.equal(startup().tenants(bad, { A: 'a', B: 'b' }).drive('t', 'd').bucket, 'b');
  });

  it('ends with status 2 naming Redis when it cannot be reached', async () => {
    await assert.rejects(
      startup().redis(redisConfig('redis://127.0.0.1:1')),
      (e: unknown) => e instanceof Exit && e.code === 2,
    );
  });
});

function redisConfig(url: string, tls: Partial<RedisConfig> = {}): RedisConfig {
  return {
    SLUICE_REDIS_URL: url,
    SLUICE_REDIS_TLS_CA: '',
    SLUICE_REDIS_TLS_CERT: '',
    SLUICE_REDIS_TLS_KEY: '',
    ...tls,
  };
}

describe('Redis over TLS', { timeout: 60_000 }, () => {
  it('connects with rediss:// to a server its CA signed, with a client certificate when asked for one', async (t) => {
    const files = makeTlsFiles(t);
    const other = makeTlsFiles(t, 'other');
    const port = await startRedisServer(
      t,
      [
        '--tls-cert-file',
        files.serverCert,
        '--tls-key-file',
        files.serverKey,
        '--tls-ca-cert-file',
        files.ca,
        '--tls-auth-clients',
        'yes',
      ],
      { tls: true },
    );
    const url = `rediss://127.0.0.1:${port}`;
    const mutual = {
      SLUICE_REDIS_TLS_CA: files.ca,
      SLUICE_REDIS_TLS_CERT: files.clientCert,
      SLUICE_REDIS_TLS_KEY: files.clientKey,
    };
    const redis = await startup().redis(redisConfig(url, mutual));
    assert.ok(redis, 'connected over TLS with its certificate');
    assert.equal(await redis.ping(), 'PONG');
    redis.disconnect();
    const refused = (config: RedisConfig) =>
      assert.rejects(startup().redis(config), (e: unknown) => e instanceof Exit && e.code === 2);
    await refused(redisConfig(url, { SLUICE_REDIS_TLS_CA: files.ca }));
    await refused(redisConfig(url, { ...mutual, SLUICE_REDIS_TLS_CA: other.ca }));
  });

  it('refuses half a TLS configuration, and TLS files with a redis:// URL, saying what to set', () => {
    assert.throws(
      () => redisOptions(redisConfig('rediss://h:1', { SLUICE_REDIS_TLS_CERT: '/c.pem' })),
      /SLUICE_REDIS_TLS_KEY is not set/,
    );
    assert.throws(
      () => redisOptions(redisConfig('redis://h:1', { SLUICE_REDIS_TLS_CA: '/ca.pem' })),
      /use rediss:\/\/ \(or rediss\+cluster:\/\/\) for TLS/,
    );
    assert.equal(redisOptions(redisConfig('redis://h:1')).tls, undefined);
    assert.equal(printableUrl('rediss://:hunter2@h:6380/0'), 'rediss://:***@h:6380/0');
    assert.equal(printableUrl('redis+cluster://:hunter2@h:1,h:2'), 'redis+cluster://:***@h:1,h:2');
    assert.ok(redisOptions(redisConfig('rediss+cluster://h:1,h:2')).tls);
  });
});

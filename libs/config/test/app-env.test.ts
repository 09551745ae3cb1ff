import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  APPS,
  ConfigError,
  SERVICES,
  commonAppEnv,
  kafkaEnv,
  mysqlEnv,
  parseEnv,
  redisEnv,
} from '../src/index.ts';

describe('commonAppEnv', () => {
  it('defaults each app to its catalogue port', () => {
    for (const app of Object.keys(APPS) as (keyof typeof APPS)[]) {
      const cfg = parseEnv(commonAppEnv(app), {});
      assert.equal(cfg[APPS[app].httpPortEnv], APPS[app].httpPort);
      assert.equal(cfg.SLUICE_LOG_LEVEL, 'info');
    }
  });

  it('refuses an unknown log level, naming the allowed ones', () => {
    assert.throws(
      () => parseEnv(commonAppEnv('assembler'), { SLUICE_LOG_LEVEL: 'loud' }),
      (e: unknown) =>
        e instanceof ConfigError && /SLUICE_LOG_LEVEL="loud".*one of trace, debug/.test(e.message),
    );
  });
});

describe('service variables', () => {
  it('default to the local services of the catalogue', () => {
    const cfg = parseEnv({ ...kafkaEnv(), ...redisEnv(), ...mysqlEnv() }, {});
    assert.deepEqual(cfg.SLUICE_KAFKA_BROKERS, [`127.0.0.1:${SERVICES.kafka.port}`]);
    assert.equal(cfg.SLUICE_REDIS_URL, `redis://127.0.0.1:${SERVICES.redis.port}`);
    assert.equal(cfg.SLUICE_TOPIC_PREFIX, '');
    assert.match(cfg.SLUICE_MYSQL_URL, /^mysql:\/\/sluice:sluice@127\.0\.0\.1:13306\/sluice$/);
  });

  it('take a Redis Cluster as redis+cluster:// seed nodes, and refuse a seed without a port', () => {
    const seeds = 'redis+cluster://:pw@10.0.0.1:7000,10.0.0.2:7000';
    assert.equal(parseEnv(redisEnv(), { SLUICE_REDIS_URL: seeds }).SLUICE_REDIS_URL, seeds);
    assert.equal(
      parseEnv(redisEnv(), { SLUICE_REDIS_URL: 'rediss+cluster://h:1/' }).SLUICE_REDIS_URL,
      'rediss+cluster://h:1/',
    );
    assert.throws(
      () => parseEnv(redisEnv(), { SLUICE_REDIS_URL: 'redis+cluster://h1:7000,h2' }),
      (e: unknown) =>
        e instanceof ConfigError && /SLUICE_REDIS_URL=.*redis\+cluster:\/\/host:port/.test(e.message),
    );
  });
});

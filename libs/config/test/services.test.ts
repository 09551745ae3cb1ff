import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  DEFAULT_SERVICE_NAMES,
  LOCAL_DEFAULTS,
  profileServiceNames,
  SERVICE_NAMES,
  SERVICE_PROFILES,
  SERVICES,
} from '../src/index.ts';

test('a bare `up` leaves out the optional services, the clusters among them', () => {
  assert.deepEqual(DEFAULT_SERVICE_NAMES, [
    'kafka',
    'apicurio',
    's3',
    'redis',
    'mysql',
    'postgres',
    'prometheus',
  ]);
  assert.ok(!DEFAULT_SERVICE_NAMES.includes('redis-cluster'));
  assert.ok(!DEFAULT_SERVICE_NAMES.includes('kafka-cluster'));
});

test('the cluster profile is the default services plus the Redis and Kafka clusters', () => {
  assert.deepEqual(profileServiceNames('cluster'), [
    ...DEFAULT_SERVICE_NAMES,
    'redis-cluster',
    'kafka-cluster',
  ]);
  for (const name of SERVICE_NAMES) {
    const profile = SERVICES[name].profile;
    if (profile === undefined) continue;
    assert.ok(SERVICE_PROFILES.includes(profile));
    assert.equal(SERVICES[name].optional, true, `${name} is in a profile, so a bare up must leave it out`);
  }
});

test('the clusters keep their own variables: the single Redis and Kafka keep theirs', () => {
  const urlEnvs = SERVICE_NAMES.map((name) => SERVICES[name].urlEnv);
  assert.equal(
    new Set(urlEnvs).size,
    urlEnvs.length,
    `two services share a URL variable: ${urlEnvs.join(', ')}`,
  );
  const host = LOCAL_DEFAULTS.host;
  const redis = SERVICES['redis-cluster'];
  assert.equal(
    redis.url(host, redis.port),
    'redis+cluster://127.0.0.1:17001,127.0.0.1:17002,127.0.0.1:17003',
  );
  const kafka = SERVICES['kafka-cluster'];
  assert.equal(kafka.url(host, kafka.port), '127.0.0.1:19192,127.0.0.1:19193,127.0.0.1:19194');
});

test('no two services listen on the same port', () => {
  const ports = SERVICE_NAMES.flatMap((name) => {
    const spec = SERVICES[name];
    return Array.from({ length: spec.nodes ?? 1 }, (_, i) => spec.port + i);
  });
  assert.equal(new Set(ports).size, ports.length, `ports overlap: ${ports.join(', ')}`);
});

test('PostgreSQL is a default service, reached as the local user on its own database', () => {
  const spec = SERVICES.postgres;
  assert.equal(spec.optional, undefined);
  assert.equal(spec.url(LOCAL_DEFAULTS.host, spec.port), 'postgres://sluice:sluice@127.0.0.1:15432/sluice');
  assert.deepEqual([spec.portEnv, spec.urlEnv], ['SLUICE_POSTGRES_PORT', 'SLUICE_POSTGRES_URL']);
});

test('the S3 matrix stores are optional, each on its own port and variable beside versitygw', () => {
  for (const name of ['s3-moto', 's3proxy'] as const) {
    const spec = SERVICES[name];
    assert.equal(spec.optional, true, `${name} must not start with a bare up`);
    assert.ok(!DEFAULT_SERVICE_NAMES.includes(name));
    assert.notEqual(spec.urlEnv, SERVICES.s3.urlEnv);
  }
  const host = LOCAL_DEFAULTS.host;
  assert.equal(SERVICES['s3-moto'].url(host, SERVICES['s3-moto'].port), 'http://127.0.0.1:17071');
  assert.equal(SERVICES.s3proxy.url(host, SERVICES.s3proxy.port), 'http://127.0.0.1:17072');
  assert.equal(SERVICES['s3-moto'].urlEnv, 'SLUICE_S3_MOTO_ENDPOINT');
});

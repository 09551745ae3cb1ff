import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LOCAL_DEFAULTS, SERVICES } from '@sluice/config';
import { kafkaBrokers, s3Settings, serviceEndpoint } from '../src/endpoints.ts';

test('with nothing set, every service is at its catalogue default on 127.0.0.1', () => {
  for (const spec of Object.values(SERVICES)) {
    assert.deepEqual(serviceEndpoint(spec.name, {}), {
      name: spec.name,
      host: '127.0.0.1',
      port: spec.port,
      url: spec.url('127.0.0.1', spec.port),
    });
  }
});

test('a port variable moves the service; a URL variable replaces it whole', () => {
  assert.equal(serviceEndpoint('redis', { SLUICE_REDIS_PORT: '26379' }).url, 'redis://127.0.0.1:26379');
  const remote = serviceEndpoint('redis', {
    SLUICE_REDIS_PORT: '26379',
    SLUICE_REDIS_URL: 'redis://cache.test:7000',
  });
  assert.deepEqual([remote.host, remote.port, remote.url], ['cache.test', 7000, 'redis://cache.test:7000']);
  assert.deepEqual(kafkaBrokers({ SLUICE_KAFKA_BROKERS: 'a.test:9092, b.test:9093' }), [
    'a.test:9092',
    'b.test:9093',
  ]);
  assert.equal(serviceEndpoint('kafka', { SLUICE_KAFKA_BROKERS: 'a.test:9092,b.test:9093' }).port, 9092);
  assert.equal(
    serviceEndpoint('apicurio', { SLUICE_REGISTRY_URL: 'http://registry.test/apis/registry/v3' }).port,
    80,
  );
});

test('a malformed port or URL is reported with the variable that holds it', () => {
  assert.throws(
    () => serviceEndpoint('mysql', { SLUICE_MYSQL_PORT: 'abc' }),
    /SLUICE_MYSQL_PORT=abc is not a TCP port/,
  );
  assert.throws(
    () => serviceEndpoint('s3', { SLUICE_S3_ENDPOINT: 'not a url' }),
    /SLUICE_S3_ENDPOINT=not a url/,
  );
});

test('S3 settings default to the local credentials and follow their variables', () => {
  assert.deepEqual(s3Settings({}), {
    endpoint: 'http://127.0.0.1:17070',
    region: LOCAL_DEFAULTS.s3Region,
    accessKeyId: LOCAL_DEFAULTS.s3AccessKey,
    secretAccessKey: LOCAL_DEFAULTS.s3SecretKey,
    bucket: LOCAL_DEFAULTS.s3Bucket,
  });
  const moved = s3Settings({
    SLUICE_S3_BUCKET: 'other',
    SLUICE_S3_ACCESS_KEY: 'ak',
    SLUICE_S3_REGION: 'eu-west-1',
  });
  assert.deepEqual([moved.bucket, moved.accessKeyId, moved.region], ['other', 'ak', 'eu-west-1']);
});

test('the local Kafka cluster: brokers from the catalogue, moved by their variable', () => {
  assert.deepEqual(kafkaBrokers({}, 'kafka-cluster'), [
    '127.0.0.1:19192',
    '127.0.0.1:19193',
    '127.0.0.1:19194',
  ]);
  assert.deepEqual(
    kafkaBrokers({ SLUICE_KAFKA_CLUSTER_PORT: '29192' }, 'kafka-cluster')[2],
    '127.0.0.1:29194',
  );
});

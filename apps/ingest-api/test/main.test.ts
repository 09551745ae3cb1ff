import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { credentials, Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { Producer } from '@platformatic/kafka';
import { testBackbone } from '@sluice/kafka/testing';
import {
  ChunkEvent,
  InitiateUploadRequest,
  IntakeServiceClient,
  type InitiateUploadResponse,
  WatchUploadRequest,
} from '@sluice/proto';
import { encodeFrame } from '@sluice/schema-registry';
import {
  eventTopicPrefix,
  freePort,
  kafkaBrokers,
  requireServices,
  startRedisServer,
  uniqueName,
} from '@sluice/testing';
import { KEYS, tenantsEnv } from './harness.ts';
import { start, tenantsFile, waitFor } from './ingest-process.ts';

describe('ingest-api process', { timeout: 60_000 }, () => {
  it('starts, is ready, takes an upload over gRPC, and exits 0 on SIGTERM, logging no secret', async (t) => {
    await requireServices(['redis', 'kafka', 'apicurio']);
    const topicPrefix = eventTopicPrefix(t, 'ingest-main');
    const [http, grpc] = [await freePort(), await freePort()];
    const dbPassword = 'pw-7d1e9c0b';
    const app = start({
      // Every line, at every level, is checked for secrets below.
      SLUICE_LOG_LEVEL: 'trace',
      SLUICE_MYSQL_URL: `mysql://sluice:${dbPassword}@127.0.0.1:1/sluice`,
      SLUICE_INGEST_HTTP_PORT: String(http),
      SLUICE_INGEST_PORT: String(grpc),
      SLUICE_TENANTS_FILE: tenantsFile(t),
      SLUICE_TOPIC_PREFIX: topicPrefix,
      SLUICE_REDIS_NAMESPACE: uniqueName('ns'),
      SLUICE_KAFKA_PARTITIONS: '1',
    });
    try {
      await waitFor(`http://127.0.0.1:${http}/readyz`, app.exited);
      const client = new IntakeServiceClient(`127.0.0.1:${grpc}`, credentials.createInsecure());
      const md = new Metadata();
      md.set('authorization', `Bearer ${KEYS.acme}`);
      const res = await new Promise<InitiateUploadResponse | undefined>((resolve, reject) =>
        client.initiateUpload(InitiateUploadRequest.fromPartial({ drive: 'docs' }), md, (err, r) =>
          err ? reject(err) : resolve(r),
        ),
      );
      assert.match(res?.uploadId ?? '', /^[0-9a-f-]{36}$/);

      // SIGTERM with a watch open: the watch ends, retriable, and the process exits 0 (an open
      // watch used to hold it to the 30 s close limit, which exits 1).
      const watch = client.watchUpload(WatchUploadRequest.fromPartial({ uploadId: res?.uploadId ?? '' }), md);
      const ended = new Promise<ServiceError | undefined>((resolve) => {
        watch.on('error', (err: ServiceError) => resolve(err));
        watch.on('end', () => resolve(undefined));
      });
      await new Promise<void>((resolve) => watch.once('data', () => resolve()));
      app.child.kill('SIGTERM');
      const err = await ended;
      assert.equal(err?.code, status.UNAVAILABLE);
      assert.match(err.details, /shutting down: watch the upload again/);
      assert.equal(await app.exited, 0, app.stderr());
      client.close();
      const output = app.stdout() + app.stderr();
      assert.match(output, /upload initiated/);
      for (const secret of [KEYS.acme, tenantsEnv().SLUICE_S3_SECRET_KEY, dbPassword]) {
        assert.ok(!output.includes(secret), 'a secret reached the log');
      }
    } finally {
      app.child.kill('SIGTERM');
    }
    assert.equal(await app.exited, 0, app.stderr());
  });

  it('refuses to start over events a reset registry no longer resolves, naming topic and contentId', async (t) => {
    await requireServices(['redis', 'kafka', 'apicurio']);
    const topicPrefix = eventTopicPrefix(t, 'ingest-main');
    const backbone = await testBackbone(topicPrefix, { partitions: 1, clientId: 'ingest-main-test' });
    // A chunk event from before a registry reset: its contentId is now nobody's.
    const topic = backbone.topics['intake.chunks'];
    const stale = encodeFrame(
      1_999_999_999,
      'ChunkEvent',
      ChunkEvent.encode(ChunkEvent.fromPartial({})).finish(),
    );
    const producer = new Producer({ clientId: 'ingest-main-test', bootstrapBrokers: kafkaBrokers() });
    await producer.send({ acks: -1, messages: [{ topic, key: Buffer.from('n'), value: stale }] });
    await Promise.all([producer.close(), backbone.close()]);

    const app = start({
      SLUICE_INGEST_HTTP_PORT: String(await freePort()),
      SLUICE_INGEST_PORT: String(await freePort()),
      SLUICE_TENANTS_FILE: tenantsFile(t),
      SLUICE_TOPIC_PREFIX: topicPrefix,
      SLUICE_REDIS_NAMESPACE: uniqueName('ns'),
      SLUICE_KAFKA_PARTITIONS: '1',
    });
    assert.equal(await app.exited, 2, app.stderr());
    assert.match(app.stderr(), /refusing to start: the schema registry at .* does not hold the schemas/);
    assert.match(
      app.stderr(),
      new RegExp(`${topic} partition 0 offset 0: contentId 1999999999; the registry answers: no schema`),
    );
    assert.match(app.stderr(), /Restore the\nregistry's storage/);
  });

  it('refuses a bad port before starting, naming the variable and the expected form', async () => {
    const app = start({ SLUICE_INGEST_PORT: 'abc' });
    assert.equal(await app.exited, 2);
    assert.match(app.stderr(), /SLUICE_INGEST_PORT="abc" is not valid; expected a TCP port/);
    assert.match(app.stderr(), /SLUICE_TENANTS_FILE is not set/);
  });

  it('refuses a Redis that would evict staged chunks', async (t) => {
    const port = await startRedisServer(t, ['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru']);
    const app = start({ SLUICE_REDIS_URL: `redis://127.0.0.1:${port}`, SLUICE_TENANTS_FILE: tenantsFile(t) });
    assert.equal(await app.exited, 2);
    assert.match(
      app.stderr(),
      /maxmemory-policy allkeys-lru: it would evict staged chunks\. Set maxmemory-policy noeviction/,
    );
  });

  it('names the tenants file and the field that is wrong', async (t) => {
    const file = tenantsFile(t);
    writeFileSync(file, JSON.stringify({ tenants: [{ name: 'x', apiKeys: [], drives: [{ name: 'd' }] }] }));
    const app = start({ SLUICE_TENANTS_FILE: file });
    assert.equal(await app.exited, 2);
    assert.match(app.stderr(), /tenants\[0\]\.drives\[0\]\.endpoint must be a non-empty string/);
  });
});

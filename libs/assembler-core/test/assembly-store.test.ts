import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { abortedOutcome, expiredOutcome, type RecordedPart } from '../src/index.ts';
import { partWriterCreated, testRedis } from './support.ts';

const part = (n: number, etag: string): RecordedPart => ({
  partNumber: n,
  bucket: 'b',
  key: 'k',
  etag,
  size: 5,
  crc64nvme: '1',
  crc32c: 0,
  crc32: 0,
  multipartUploadId: 'm1',
});
const who = (uploadId: string) => ({ uploadId, nodeId: 'n', tenant: 't', drive: 'd' });

describe('AssemblyStore', () => {
  it('keeps the latest PartStored of each part, in part order, and the multipart upload it names', async (t) => {
    const r = await testRedis(t);
    const id = randomUUID();
    await r.store.recordPart(id, part(2, 'old'), 100);
    await r.store.recordPart(id, part(1, 'one'), 200);
    await r.store.recordPart(id, part(2, 'new'), 300);
    assert.deepEqual(
      (await r.store.parts(id)).map((p) => [p.partNumber, p.etag]),
      [
        [1, 'one'],
        [2, 'new'],
      ],
    );
    const state = await r.store.state(id);
    assert.deepEqual(state.multipart, { bucket: 'b', key: 'k', uploadId: 'm1' });
    assert.equal(state.lastPartAt, 300);
    assert.ok((await r.redis.pttl(r.store.stateKey(id))) > 0, 'expires like the staging keys');
  });

  it("reads the multipart upload from the part-writer's state", async (t) => {
    const r = await testRedis(t);
    const id = randomUUID();
    await partWriterCreated(r, id, { bucket: 'b', key: 'k' }, 'pw-mpu');
    assert.deepEqual((await r.store.state(id)).partWriterMultipart, {
      bucket: 'b',
      key: 'k',
      uploadId: 'pw-mpu',
    });
  });

  it('lets completing and expiring exclude each other, and a holder claim again', async (t) => {
    const r = await testRedis(t);
    const id = randomUUID();
    await r.redis.hset(r.staging.keys.meta(id), 'updatedAt', '1000');
    assert.deepEqual(await r.store.claim(id, 'completing', 5000), { result: 'ok', since: 5000 });
    assert.deepEqual(await r.store.claim(id, 'completing', 6000), { result: 'ok', since: 5000 });
    assert.deepEqual(await r.store.claim(id, 'expiring', 7000, 6000), { result: 'held', by: 'completing' });

    const idle = randomUUID();
    await r.redis.hset(r.staging.keys.meta(idle), 'updatedAt', '1000');
    assert.deepEqual(await r.store.claim(idle, 'expiring', 9000, 500), {
      result: 'active',
      lastActivity: 1000,
    });
    await r.store.recordPart(idle, part(1, 'e'), 2000);
    assert.deepEqual(await r.store.claim(idle, 'expiring', 9000, 1500), {
      result: 'active',
      lastActivity: 2000,
    });
    assert.deepEqual(await r.store.claim(idle, 'expiring', 9000, 2500), { result: 'ok', since: 9000 });
    assert.deepEqual(await r.store.claim(idle, 'completing', 9500), { result: 'held', by: 'expiring' });
    assert.deepEqual(await r.store.claim(randomUUID(), 'expiring', 9000, 2500), { result: 'missing' });
  });

  it('keeps the first outcome, refuses claims and parts after it, and outlives the upload keys', async (t) => {
    const r = await testRedis(t);
    const id = randomUUID();
    const first = abortedOutcome(who(id), 'client', [], new Date(1));
    const second = expiredOutcome(who(id), new Date(0), 'idle', [], new Date(2));
    assert.equal((await r.store.settle(id, first)).event.eventId, first.event.eventId);
    assert.equal((await r.store.settle(id, second)).event.eventId, first.event.eventId);
    assert.equal((await r.store.outcome(id))?.published, false);
    await r.store.markPublished(id);
    assert.equal((await r.store.outcome(id))?.published, true);
    assert.deepEqual(await r.store.claim(id, 'completing'), { result: 'done' });
    assert.equal(await r.store.recordPart(id, part(1, 'late')), false);
    assert.equal(await r.redis.exists(r.store.stateKey(id)), 0);
    await r.staging.deleteUpload(id);
    assert.ok(await r.store.outcome(id));
    assert.ok((await r.redis.pttl(r.store.outcomeKey(id))) > 0);
  });
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { connectRedis, masters } from '@sluice/redis';
import { createRedisPrefix, requireServices, serviceUrl } from '@sluice/testing';
import { RedisStaging } from '../src/index.ts';

describe('segment writes', () => {
  it('store the exact bytes with their TTL, in order with the commands around them', async (t) => {
    await requireServices(['redis']);
    const { redis, prefix } = createRedisPrefix(t);
    const staging = new RedisStaging({ redis, ttlMs: 60_000, namespace: prefix.slice(0, -1) });
    const sizes = [0, 1, 2, 3, 1000, 65_536, 1024 * 1024, 1024 * 1024 + 7];
    const values = sizes.map((n) => randomBytes(n));
    // Issued together, each segment write followed by a plain command on the same key
    // space: any reordering of bytes on the connection would corrupt a reply or a value.
    const writes = values.flatMap((value, i) => [
      staging.writeSegment(`${prefix}w`, i, value),
      redis.set(`${prefix}marker:${i}`, `after ${i}`),
    ]);
    await Promise.all(writes);
    for (const [i, value] of values.entries()) {
      assert.deepEqual(await redis.getBuffer(staging.keys.segment(`${prefix}w`, i)), value, `segment ${i}`);
      assert.equal(await redis.get(`${prefix}marker:${i}`), `after ${i}`);
      const ttl = await redis.pttl(staging.keys.segment(`${prefix}w`, i));
      assert.ok(ttl > 0 && ttl <= 60_000, `segment ${i} has ttl ${ttl}`);
    }
  });

  it('are queued while the connection is not up yet and sent once it is', async (t) => {
    await requireServices(['redis']);
    const { redis: cleanup, prefix } = createRedisPrefix(t);
    const redis = connectRedis(serviceUrl('redis'), { lazyConnect: true });
    t.after(() => redis.quit());
    const staging = new RedisStaging({ redis, ttlMs: 60_000, namespace: prefix.slice(0, -1) });
    const value = randomBytes(300_000);
    assert.equal(redis.status, 'wait');
    await staging.writeSegment(`${prefix}q`, 0, value);
    assert.deepEqual(await cleanup.getBuffer(staging.keys.segment(`${prefix}q`, 0)), value);
  });

  it('fail with the server error, and the connection stays usable', async (t) => {
    await requireServices(['redis']);
    const { redis, prefix } = createRedisPrefix(t);
    const staging = new RedisStaging({ redis, ttlMs: 60_000, namespace: prefix.slice(0, -1) });
    // An invalid TTL makes Redis refuse the SET after it has read the whole command.
    const bad = new RedisStaging({ redis, ttlMs: -5, namespace: prefix.slice(0, -1) });
    await assert.rejects(bad.writeSegment(`${prefix}e`, 0, randomBytes(10)), /expire|PX|invalid/i);
    await staging.writeSegment(`${prefix}e`, 1, Buffer.from('still fine'));
    assert.equal(await redis.get(staging.keys.segment(`${prefix}e`, 1)), 'still fine');
  });
});

describe('the bulk connection', () => {
  it('carries segment bytes both ways', async (t) => {
    await requireServices(['redis']);
    const { redis, prefix } = createRedisPrefix(t);
    const bulkRedis = connectRedis(serviceUrl('redis'), { connectionName: `${prefix}bulk` });
    t.after(() => bulkRedis.quit());
    const staging = new RedisStaging({ redis, bulkRedis, ttlMs: 60_000, namespace: prefix.slice(0, -1) });
    // The last command of each connection so named: on a Redis Cluster, one per node it reached.
    const lastCommands = async (name: string): Promise<string[]> => {
      const lists = await Promise.all(masters(redis).map((node) => node.client('LIST') as Promise<string>));
      return lists
        .flatMap((list) => list.split('\n'))
        .filter((l) => l.includes(` name=${name} `))
        .map((l) => /\bcmd=(\S+)/.exec(l)?.[1] ?? '');
    };
    const value = randomBytes(5000);
    await staging.writeSegment(`${prefix}b`, 0, value);
    assert.ok((await lastCommands(`${prefix}bulk`)).includes('set'));
    const pieces = await staging.readRange(
      { prefix: `${prefix}b`, segmentSize: 5000, segmentCount: 1 },
      10,
      100,
    );
    assert.deepEqual(Buffer.concat(pieces), value.subarray(10, 110));
    assert.ok((await lastCommands(`${prefix}bulk`)).includes('getrange'));
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Lease } from '../src/index.ts';
import { testRedis } from './support.ts';

describe('Lease', () => {
  it('has one holder, who keeps it by acquiring again, and passes on once released', async (t) => {
    const { redis, namespace } = await testRedis(t);
    const key = `${namespace}:lease`;
    const a = new Lease({ redis, key, ttlMs: 60_000 });
    const b = new Lease({ redis, key, ttlMs: 60_000 });
    assert.equal(await a.acquire(), true);
    assert.equal(await b.acquire(), false);
    assert.equal(await a.acquire(), true);
    assert.equal(await b.renew(), false);
    await b.release(); // not b's: nothing happens
    assert.equal(await redis.get(key), a.token);
    await a.release();
    assert.equal(await b.acquire(), true);
    assert.equal(await a.renew(), false);
  });

  it('lapses when its holder stops renewing', async (t) => {
    const { redis, namespace } = await testRedis(t);
    const key = `${namespace}:lease`;
    const a = new Lease({ redis, key, ttlMs: 60_000 });
    assert.equal(await a.acquire(), true);
    await redis.pexpire(key, 1); // as if the holder died a TTL ago
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(await new Lease({ redis, key, ttlMs: 60_000 }).acquire(), true);
  });
});

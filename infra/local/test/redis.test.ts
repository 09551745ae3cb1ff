import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, test } from 'node:test';
import { createRedisPrefix, requireServices } from '@sluice/testing';

before(() => requireServices(['redis']));

test('a 16 MiB buffer round-trips through SET and GET unchanged', async (t) => {
  const { prefix, redis } = createRedisPrefix(t);
  const value = randomBytes(16 * 1024 * 1024);
  const key = `${prefix}blob`;

  assert.equal(await redis.set(key, value), 'OK');
  const back = await redis.getBuffer(key);
  assert.ok(back !== null, `${key} is missing after SET`);
  assert.equal(back.length, value.length);
  assert.ok(back.equals(value), 'the bytes read back differ from the bytes written');
});

test('the local Redis refuses writes when full instead of evicting', async (t) => {
  const { redis } = createRedisPrefix(t);
  const policy = (await redis.config('GET', 'maxmemory-policy')) as string[];
  assert.deepEqual(policy, ['maxmemory-policy', 'noeviction']);
  const [, maxmemory] = (await redis.config('GET', 'maxmemory')) as string[];
  assert.ok(
    Number(maxmemory) > 0,
    'maxmemory is unlimited; the staging area could grow until the host swaps',
  );
});

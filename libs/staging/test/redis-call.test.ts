import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DataLossError } from '@sluice/errors';
import { Redis } from 'ioredis';
import { stagingCall, stagingScript } from '../src/index.ts';

describe('stagingCall', () => {
  it('turns a Redis failure into a retriable STAGING_UNAVAILABLE that says what was done', async () => {
    await assert.rejects(
      stagingCall(() => Promise.reject(new Error('Connection is closed.')), 'lease x'),
      {
        code: 'STAGING_UNAVAILABLE',
        retriable: true,
        message: 'Redis failed on lease x: Connection is closed.',
      },
    );
  });

  it("lets Sluice's own errors through unchanged", async () => {
    const lost = new DataLossError('STAGING_LOST', 'gone');
    await assert.rejects(
      stagingCall(() => Promise.reject(lost)),
      (err) => err === lost,
    );
  });

  it('refuses a script nobody defined', () => {
    const redis = new Redis({ lazyConnect: true });
    assert.throws(() => stagingScript(redis, 'sluiceNope', []), { code: 'INTERNAL', message: /sluiceNope/ });
    redis.disconnect();
  });
});

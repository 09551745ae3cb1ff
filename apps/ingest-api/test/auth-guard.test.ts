import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { ResourceExhaustedError, UnauthenticatedError } from '@sluice/errors';
import { addressOf, AuthGuard } from '../src/auth-guard.ts';
import { KEYS, startIngest } from './harness.ts';

const tenants = {
  authenticate(key: string | undefined): string {
    if (key === 'good') return 'acme';
    throw new UnauthenticatedError('the API key is not known: check the key you were given');
  },
};

describe('AuthGuard', () => {
  it('refuses an address past its failures for the rest of the minute, and no other address', () => {
    let now = 1_000_000;
    const guard = new AuthGuard(tenants, { failuresPerMinute: 3, now: () => now });
    const peer = 'ipv4:10.0.0.7:50000';
    for (let i = 0; i < 3; i++) assert.throws(() => guard.authenticate('bad', peer), UnauthenticatedError);
    now += 10_000;
    assert.throws(
      () => guard.authenticate('good', 'ipv4:10.0.0.7:50999'),
      (err: unknown) =>
        err instanceof ResourceExhaustedError && err.code === 'AUTH_THROTTLED' && err.retryAfterMs === 50_000,
      'even a good key, from another port of the same address, waits out the window',
    );
    assert.equal(
      guard.authenticate('good', 'ipv4:10.0.0.8:50000'),
      'acme',
      'another address is not held back',
    );
    now += 50_001;
    assert.equal(guard.authenticate('good', peer), 'acme', 'after the window it goes on');
  });

  it('counts nothing for good keys, and brakes nothing when the limit is 0', () => {
    const guard = new AuthGuard(tenants, { failuresPerMinute: 1 });
    for (let i = 0; i < 100; i++) assert.equal(guard.authenticate('good', 'ipv6:[::1]:1'), 'acme');
    const off = new AuthGuard(tenants, { failuresPerMinute: 0 });
    for (let i = 0; i < 100; i++)
      assert.throws(() => off.authenticate('bad', 'ipv6:[::1]:1'), UnauthenticatedError);
  });

  it('takes the address out of a gRPC peer', () => {
    assert.equal(addressOf('ipv4:127.0.0.1:40123'), '127.0.0.1');
    assert.equal(addressOf('ipv6:[::1]:40123'), '::1');
    assert.equal(addressOf('unix:/tmp/sock'), '/tmp/sock');
  });
});

it(
  'ingest-api refuses a peer that keeps failing to authenticate, with a pushback',
  { timeout: 60_000 },
  async (t) => {
    const h = await startIngest(t, { limits: { authFailuresPerMinute: 3 } });
    for (let i = 0; i < 3; i++) {
      const bad = await h.rpc.initiate({ drive: 'docs' }, h.auth('guessed-key'));
      assert.equal(bad.err?.code, status.UNAUTHENTICATED);
    }
    const held = await h.rpc.initiate({ drive: 'docs' }, h.auth(KEYS.acme));
    assert.equal(held.err?.code, status.RESOURCE_EXHAUSTED);
    assert.equal(held.err?.metadata.get('sluice-error-code')[0], 'AUTH_THROTTLED');
    assert.ok(Number(held.err?.metadata.get('grpc-retry-pushback-ms')[0]) > 0, 'with a pushback');
  },
);

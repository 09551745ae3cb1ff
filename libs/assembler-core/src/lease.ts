import { randomUUID } from 'node:crypto';
import { stagingCall, stagingScript, type RedisClient } from '@sluice/staging';
import { RELEASE_LEASE, RENEW_LEASE } from './scripts.ts';

/** Options of {@link Lease}. */
export interface LeaseOptions {
  readonly redis: RedisClient;
  /** The lease's key; every instance that competes uses the same one. */
  readonly key: string;
  /** How long the lease lasts unless renewed. */
  readonly ttlMs: number;
}

/**
 * A lease in Redis (SET NX PX with a random token): at most one holder at a time, and a
 * holder that dies loses it after `ttlMs`. The holder keeps it by acquiring again (which
 * renews), so the same instance stays in charge while it lives and others take over only
 * when it stops. Renew and release compare the token first, so a holder whose lease expired
 * never extends or drops someone else's.
 */
export class Lease {
  readonly token = randomUUID();
  readonly #o: LeaseOptions;

  constructor(options: LeaseOptions) {
    this.#o = options;
    options.redis.defineCommand('sluiceRenewLease', { numberOfKeys: 1, lua: RENEW_LEASE });
    options.redis.defineCommand('sluiceReleaseLease', { numberOfKeys: 1, lua: RELEASE_LEASE });
  }

  /** Takes the lease, or renews it when this instance holds it; false when another does. */
  async acquire(): Promise<boolean> {
    const { redis, key, ttlMs } = this.#o;
    const set = await stagingCall(() => redis.set(key, this.token, 'PX', ttlMs, 'NX'), `lease ${key}`);
    return set === 'OK' || (await this.renew());
  }

  /** Extends the lease; false when this instance no longer holds it. */
  async renew(): Promise<boolean> {
    return (
      (await stagingScript(
        this.#o.redis,
        'sluiceRenewLease',
        [this.#o.key, this.token, String(this.#o.ttlMs)],
        `lease ${this.#o.key}`,
      )) === 1
    );
  }

  /** Gives the lease up if this instance holds it. */
  async release(): Promise<void> {
    await stagingScript(
      this.#o.redis,
      'sluiceReleaseLease',
      [this.#o.key, this.token],
      `lease ${this.#o.key}`,
    );
  }
}

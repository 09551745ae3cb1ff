/**
 * Authentication with a brake on guessing: failed attempts are counted per peer address over
 * a sliding minute, and a peer past the limit is refused with AUTH_THROTTLED (and a pushback
 * until its oldest failure leaves the window) before its key is even looked at, so keys cannot
 * be tried at the speed of the network. Successful calls cost nothing here.
 */
import { ResourceExhaustedError, UnauthenticatedError } from '@sluice/errors';
import type { Tenants } from '@sluice/tenants';

const WINDOW_MS = 60_000;
/** Peers remembered at once; the longest-quiet ones are forgotten first. */
const MAX_PEERS = 10_000;

export interface AuthGuardOptions {
  /** Failed authentications one address may make per minute; 0 turns the brake off. */
  readonly failuresPerMinute: number;
  readonly now?: () => number;
}

export class AuthGuard {
  readonly #tenants: Pick<Tenants, 'authenticate'>;
  readonly #limit: number;
  readonly #now: () => number;
  /** Peer address → times of its failures in the window, oldest first. */
  readonly #failures = new Map<string, number[]>();

  constructor(tenants: Pick<Tenants, 'authenticate'>, options: AuthGuardOptions) {
    this.#tenants = tenants;
    this.#limit = options.failuresPerMinute;
    this.#now = options.now ?? Date.now;
  }

  /** The caller's tenant. @throws UnauthenticatedError, or ResourceExhaustedError AUTH_THROTTLED */
  authenticate(apiKey: string | undefined, peer: string): string {
    if (this.#limit <= 0) return this.#tenants.authenticate(apiKey);
    const address = addressOf(peer);
    const now = this.#now();
    const recent = (this.#failures.get(address) ?? []).filter((at) => at > now - WINDOW_MS);
    if (recent.length >= this.#limit) {
      throw new ResourceExhaustedError(
        'AUTH_THROTTLED',
        `${recent.length} failed authentications from this address in the last minute: check the API key, ` +
          'and try again after the pushback delay',
        { retryAfterMs: (recent[0] ?? now) + WINDOW_MS - now },
      );
    }
    try {
      return this.#tenants.authenticate(apiKey);
    } catch (err) {
      if (err instanceof UnauthenticatedError) this.#remember(address, [...recent, now]);
      throw err;
    }
  }

  #remember(address: string, failures: number[]): void {
    this.#failures.delete(address);
    this.#failures.set(address, failures);
    if (this.#failures.size > MAX_PEERS) {
      const oldest = this.#failures.keys().next().value;
      if (oldest !== undefined) this.#failures.delete(oldest);
    }
  }
}

/** `ipv4:10.0.0.7:51234` or `ipv6:[::1]:51234` → the address without its port. */
export function addressOf(peer: string): string {
  const bare = peer.replace(/^(ipv4|ipv6|unix):/, '');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(bare);
  if (bracketed?.[1]) return bracketed[1];
  return bare.replace(/:\d+$/, '');
}

import { createHash, type Hash } from 'node:crypto';

/** Incremental SHA-256 (node:crypto, native), shaped like the CRC hashers. */
export class Sha256 {
  #hash: Hash = createHash('sha256');

  /** Feeds the next bytes. */
  update(data: Uint8Array): this {
    this.#hash.update(data);
    return this;
  }

  /** The 32-byte digest of everything fed so far; more bytes may still follow. */
  digest(): Buffer {
    // A copy keeps the running hash usable: node:crypto's digest() ends a Hash.
    return this.#hash.copy().digest();
  }

  /** Starts over, as if newly built. */
  reset(): this {
    this.#hash = createHash('sha256');
    return this;
  }
}

/** SHA-256 of `data`. */
export function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

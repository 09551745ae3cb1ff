import { CRC32_ALL_ONES, crcEngine, type CrcEngine } from './crc-engine.ts';
import type { CrcOptions } from './crc64-nvme.ts';

/**
 * Incremental CRC-32C (Castagnoli), S3's CRC32C (`x-amz-checksum-crc32c`): polynomial
 * 0x1EDC6F41, reflected, init and xorout all ones; the check value for "123456789" is 0xE3069283.
 */
export class Crc32c {
  readonly #engine: CrcEngine;
  #register = CRC32_ALL_ONES;

  constructor(options: CrcOptions = {}) {
    this.#engine = crcEngine(options.engine);
  }

  /** Feeds the next bytes. */
  update(data: Uint8Array): this {
    this.#register = this.#engine.crc32c(this.#register, data);
    return this;
  }

  /** The CRC of everything fed so far, as an unsigned 32-bit number; more bytes may follow. */
  digest(): number {
    return (this.#register ^ CRC32_ALL_ONES) >>> 0;
  }

  /** Starts over, as if newly built. */
  reset(): this {
    this.#register = CRC32_ALL_ONES;
    return this;
  }
}

/** CRC-32C of `data` as an unsigned 32-bit number. */
export function crc32c(data: Uint8Array, options: CrcOptions = {}): number {
  return new Crc32c(options).update(data).digest();
}

import { CRC64_ALL_ONES, crcEngine, type CrcEngine, type CrcEngineName } from './crc-engine.ts';

/** Options of the CRC hashers. */
export interface CrcOptions {
  /** Which implementation computes the CRC. @default defaultCrcEngineName() ('native' where @node-rs/crc32 loads) */
  readonly engine?: CrcEngineName;
}

/**
 * Incremental CRC-64/NVME, the algorithm S3 calls CRC64NVME (`x-amz-checksum-crc64nvme`):
 * width 64, polynomial 0xAD93D23594C93659, reflected, init and xorout all ones; the check
 * value for "123456789" is 0xAE8B14860A799888.
 */
export class Crc64Nvme {
  readonly #engine: CrcEngine;
  #register = CRC64_ALL_ONES;

  constructor(options: CrcOptions = {}) {
    this.#engine = crcEngine(options.engine);
  }

  /** Feeds the next bytes. */
  update(data: Uint8Array): this {
    this.#register = this.#engine.crc64nvme(this.#register, data);
    return this;
  }

  /** The CRC of everything fed so far; more bytes may still follow. */
  digest(): bigint {
    return this.#register ^ CRC64_ALL_ONES;
  }

  /** Starts over, as if newly built. */
  reset(): this {
    this.#register = CRC64_ALL_ONES;
    return this;
  }
}

/** CRC-64/NVME of `data` as an unsigned 64-bit bigint. */
export function crc64nvme(data: Uint8Array, options: CrcOptions = {}): bigint {
  return new Crc64Nvme(options).update(data).digest();
}

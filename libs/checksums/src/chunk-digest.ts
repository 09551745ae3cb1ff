import { createHash, type Hash } from 'node:crypto';
import { crc32 as zlibCrc32 } from 'node:zlib';
import { InternalError } from '@sluice/errors';
import {
  CRC32_ALL_ONES,
  CRC64_ALL_ONES,
  crcEngine,
  type CrcEngine,
  type CrcRegisters,
} from './crc-engine.ts';
import type { CrcOptions } from './crc64-nvme.ts';

/** The checksums a ChunkDigest can compute. */
export type ChecksumAlgorithm = 'sha256' | 'crc64nvme' | 'crc32c' | 'crc32';

/** Every checksum's value: SHA-256 as 32 bytes, CRCs as unsigned integers. */
export interface ChecksumValues {
  readonly sha256: Buffer;
  readonly crc64nvme: bigint;
  readonly crc32c: number;
  readonly crc32: number;
}

/** The checksums of one chunk, those asked for, and its size in bytes. */
export type ChunkChecksums<A extends ChecksumAlgorithm = DefaultAlgorithm> = Pick<ChecksumValues, A> & {
  readonly size: number;
};

type DefaultAlgorithm = 'sha256' | 'crc64nvme' | 'crc32c';

/** Options of a ChunkDigest. */
export interface ChunkDigestOptions<A extends ChecksumAlgorithm> extends CrcOptions {
  /** Which checksums to compute. @default ['sha256', 'crc64nvme', 'crc32c'] */
  readonly algorithms?: readonly A[];
}

/**
 * All the checksums of one chunk, computed as its bytes stream in: each buffer is hashed once
 * by every algorithm when it arrives and never needs to be kept. When both CRC64/NVME and CRC32C
 * are wanted, they read each buffer in the same pass.
 *
 * ```ts
 * const digest = new ChunkDigest();
 * for await (const frame of frames) digest.update(frame);
 * const { sha256, crc64nvme, crc32c, size } = digest.digest();
 * ```
 */
export class ChunkDigest<A extends ChecksumAlgorithm = DefaultAlgorithm> {
  readonly #sha256: Hash | undefined;
  readonly #engine: CrcEngine;
  readonly #wantCrc64: boolean;
  readonly #wantCrc32c: boolean;
  readonly #wantCrc32: boolean;
  readonly #registers: CrcRegisters = { crc64nvme: CRC64_ALL_ONES, crc32c: CRC32_ALL_ONES };
  #crc32 = 0;
  #size = 0;
  #result: ChunkChecksums<A> | undefined;

  constructor(options: ChunkDigestOptions<A> = {}) {
    const algorithms: readonly ChecksumAlgorithm[] = options.algorithms ?? ['sha256', 'crc64nvme', 'crc32c'];
    this.#sha256 = algorithms.includes('sha256') ? createHash('sha256') : undefined;
    this.#wantCrc64 = algorithms.includes('crc64nvme');
    this.#wantCrc32c = algorithms.includes('crc32c');
    this.#wantCrc32 = algorithms.includes('crc32');
    this.#engine = crcEngine(options.engine);
  }

  /** Bytes fed so far. */
  get size(): number {
    return this.#size;
  }

  /** Feeds the next bytes of the chunk. */
  update(data: Uint8Array): this {
    if (this.#result !== undefined) {
      throw new InternalError('ChunkDigest.update() after digest(): use one ChunkDigest per chunk');
    }
    this.#sha256?.update(data);
    if (this.#wantCrc64 && this.#wantCrc32c) {
      this.#engine.both(this.#registers, data);
    } else if (this.#wantCrc64) {
      this.#registers.crc64nvme = this.#engine.crc64nvme(this.#registers.crc64nvme, data);
    } else if (this.#wantCrc32c) {
      this.#registers.crc32c = this.#engine.crc32c(this.#registers.crc32c, data);
    }
    if (this.#wantCrc32) this.#crc32 = zlibCrc32(data, this.#crc32);
    this.#size += data.length;
    return this;
  }

  /** The chunk's checksums. Ends the digest: later calls return the same values. */
  digest(): ChunkChecksums<A> {
    if (this.#result !== undefined) return this.#result;
    const values: Partial<Record<ChecksumAlgorithm, unknown>> & { size: number } = { size: this.#size };
    if (this.#sha256 !== undefined) values.sha256 = this.#sha256.digest();
    if (this.#wantCrc64) values.crc64nvme = this.#registers.crc64nvme ^ CRC64_ALL_ONES;
    if (this.#wantCrc32c) values.crc32c = (this.#registers.crc32c ^ CRC32_ALL_ONES) >>> 0;
    if (this.#wantCrc32) values.crc32 = this.#crc32;
    this.#result = Object.freeze(values) as ChunkChecksums<A>;
    return this.#result;
  }
}

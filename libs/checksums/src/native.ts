/**
 * Sluice's native checksums module, `build/checksums.node`, built from `native/*.c` by
 * `native/build.ts` (infra/local/node.sh and the image build run it). It holds what no maintained
 * npm package offers: a SHA-256 whose state can be saved ({@link ResumableSha256}) and CRC-64/NVME
 * by carry-less multiplication (the `native` CRC engine). Where it did not build, both fall back:
 * {@link nativeChecksumsMissing} says why.
 */
import { createRequire } from 'node:module';

/** The module's exports (native/module.c). */
export interface NativeChecksums {
  readonly sha256ContextSize: number;
  readonly sha256SavedSize: number;
  sha256Init(context: Uint8Array): void;
  sha256Update(context: Uint8Array, bytes: Uint8Array): void;
  sha256Digest(context: Uint8Array, out: Uint8Array): void;
  sha256Save(context: Uint8Array, out: Uint8Array): number;
  sha256Restore(context: Uint8Array, saved: Uint8Array): void;
  /** The raw CRC-64/NVME register after `bytes` (no final inversion). */
  crc64nvme(register: bigint, bytes: Uint8Array): bigint;
  /** Whether the CPU has carry-less multiplication; without it the module's CRC is byte-wise. */
  readonly crc64nvmeAccelerated: boolean;
}

const MODULE = '../build/checksums.node';

/** The native module, or undefined when it did not load ({@link nativeChecksumsMissing} says why). */
export let nativeChecksums: NativeChecksums | undefined;
/** Why the native module did not load, or undefined when it did. */
export let nativeChecksumsMissing: string | undefined;
try {
  nativeChecksums = createRequire(import.meta.url)(MODULE) as NativeChecksums;
} catch (err) {
  nativeChecksumsMissing =
    `${MODULE} (libs/checksums) did not load: ${(err as Error).message.split('\n')[0]}; ` +
    'build it with `node libs/checksums/native/build.ts`';
}

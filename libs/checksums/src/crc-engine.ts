import { jsCrcEngine } from './crc-engine-js.ts';
import { nativeCrc32c, nativeCrcEngine } from './crc-engine-native.ts';
import { wasmCrcEngine, webAssembly } from './crc-engine-wasm.ts';

/**
 * Which code computes CRC64/NVME and CRC32C. For CRC64/NVME `wasm` (slicing-by-16 on native
 * 64-bit words) runs nearly twice as fast as `js` (slicing-by-8 on 32-bit halves), see
 * bench/src/checksums.ts; `native` takes CRC32C from `@node-rs/crc32` (the CPU's CRC
 * instructions) and CRC64/NVME from Sluice's native module where it loaded (carry-less
 * multiplication, about five times `wasm`), else from `wasm`; `js` is kept for runtimes without
 * WebAssembly (`node --jitless`) and as an independent reference in tests.
 */
export type CrcEngineName = 'native' | 'wasm' | 'js';

/** Raw CRC registers: the value before the final inversion. Both start at all ones. */
export interface CrcRegisters {
  crc64nvme: bigint;
  crc32c: number;
}

/** Folds bytes into raw CRC registers. Synchronous and stateless between calls. */
export interface CrcEngine {
  readonly name: CrcEngineName;
  crc64nvme(register: bigint, data: Uint8Array): bigint;
  crc32c(register: number, data: Uint8Array): number;
  /** Feeds the same bytes to both registers, reading them once. */
  both(registers: CrcRegisters, data: Uint8Array): void;
}

/** The register value every CRC here starts from and is inverted with at the end. */
export const CRC64_ALL_ONES = 0xffffffffffffffffn;
export const CRC32_ALL_ONES = 0xffffffff;

/** The engine used when none is named: native CRC32C where it loads, WebAssembly where the runtime has it. */
export function defaultCrcEngineName(): CrcEngineName {
  if (webAssembly() === undefined) return 'js';
  return nativeCrc32c() === undefined ? 'wasm' : 'native';
}

/** The engine called `name`, built on first use. @default defaultCrcEngineName() */
export function crcEngine(name: CrcEngineName = defaultCrcEngineName()): CrcEngine {
  if (name === 'native') return nativeCrcEngine();
  return name === 'wasm' ? wasmCrcEngine() : jsCrcEngine();
}

import { createRequire } from 'node:module';
import { CRC32_ALL_ONES, type CrcEngine, type CrcRegisters } from './crc-engine.ts';
import { wasmCrcEngine } from './crc-engine-wasm.ts';
import { nativeChecksums } from './native.ts';

/** `@node-rs/crc32`'s CRC-32C: the finished CRC of `input` continued from `initialState`'s. */
type NativeCrc32c = (input: Uint8Array, initialState?: number) => number;

let loaded: NativeCrc32c | null | undefined;

/**
 * The native CRC-32C of `@node-rs/crc32` (SSE 4.2 or ARMv8 CRC instructions, from a prebuilt
 * binary for the platform), or undefined where no binary loads: an unusual platform, or an
 * install that skipped optional dependencies.
 */
export function nativeCrc32c(): NativeCrc32c | undefined {
  if (loaded === undefined) {
    try {
      const module = createRequire(import.meta.url)('@node-rs/crc32') as { crc32c?: unknown };
      loaded = typeof module.crc32c === 'function' ? (module.crc32c as NativeCrc32c) : null;
    } catch {
      loaded = null;
    }
  }
  return loaded ?? undefined;
}

let engine: CrcEngine | undefined;

/**
 * CRC32C in native code (`@node-rs/crc32`), and CRC64/NVME too where Sluice's own native module
 * (src/native.ts) loaded on a CPU with carry-less multiplication (7.5–7.8 GB/s here, against
 * 1.3–1.5 for the WebAssembly engine); else CRC64/NVME in WebAssembly (no maintained native
 * CRC64/NVME exists on npm). Native code also reads the caller's bytes where they are: the
 * WebAssembly engine copies them into its memory first. Measured with bench/src/checksums.ts:
 * the native CRC32C is several times the WebAssembly one, so feeding the bytes twice costs less
 * than one shared WebAssembly pass.
 * @throws Error when the native module does not load (check {@link nativeCrc32c} first)
 */
export function nativeCrcEngine(): CrcEngine {
  const crc32c = nativeCrc32c();
  if (crc32c === undefined) throw new Error('@node-rs/crc32 does not load on this platform');
  if (engine) return engine;
  const wasm = wasmCrcEngine();
  const crc64 =
    nativeChecksums?.crc64nvmeAccelerated === true
      ? nativeChecksums.crc64nvme.bind(nativeChecksums)
      : (register: bigint, data: Uint8Array) => wasm.crc64nvme(register, data);
  // The native function takes and returns finished CRCs; the engine keeps raw registers.
  const fold = (register: number, data: Uint8Array): number =>
    (crc32c(data, (register ^ CRC32_ALL_ONES) >>> 0) ^ CRC32_ALL_ONES) >>> 0;
  engine = {
    name: 'native',
    crc64nvme: crc64,
    crc32c: fold,
    both(registers: CrcRegisters, data: Uint8Array): void {
      registers.crc64nvme = crc64(registers.crc64nvme, data);
      registers.crc32c = fold(registers.crc32c, data);
    },
  };
  return engine;
}

import type { CrcEngine, CrcRegisters } from './crc-engine.ts';
import {
  CRC32C_POLY_REFLECTED,
  CRC64_NVME_POLY_REFLECTED,
  slicingTables32,
  slicingTables64,
  type SplitTables,
} from './crc-tables.ts';

/**
 * CRC engine in plain JavaScript: slicing-by-8, the 64-bit register held as two int32 halves
 * because V8 has no fast 64-bit integers. Input is read as aligned 32-bit words when the host
 * is little-endian (one load instead of four), byte by byte otherwise.
 */

const SLICES = 8;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

let tables: { crc64: SplitTables; crc32c: Int32Array } | undefined;

function getTables(): { crc64: SplitTables; crc32c: Int32Array } {
  tables ??= {
    crc64: slicingTables64(CRC64_NVME_POLY_REFLECTED, SLICES),
    crc32c: slicingTables32(CRC32C_POLY_REFLECTED, SLICES),
  };
  return tables;
}

/** Bytes to process one at a time before `data.byteOffset + i` is 4-byte aligned. */
function headLength(data: Uint8Array): number {
  if (!LITTLE_ENDIAN) return data.length;
  return Math.min(data.length, (4 - (data.byteOffset & 3)) & 3);
}

const NO_WORDS = new Int32Array(0);

/** `count` 32-bit words of `data` from byte `start`, which the caller has aligned. */
function wordView(data: Uint8Array, start: number, count: number): Int32Array {
  return count === 0 ? NO_WORDS : new Int32Array(data.buffer, data.byteOffset + start, count);
}

function update64(register: bigint, data: Uint8Array): bigint {
  const { lo: L, hi: H } = getTables().crc64;
  let lo = Number(register & 0xffffffffn) | 0;
  let hi = Number((register >> 32n) & 0xffffffffn) | 0;
  const head = headLength(data);
  let i = 0;
  for (; i < head; i++) {
    const x = (lo ^ data[i]!) & 0xff;
    lo = L[x]! ^ ((lo >>> 8) | (hi << 24));
    hi = H[x]! ^ (hi >>> 8);
  }
  const wordCount = LITTLE_ENDIAN ? ((data.length - i) >>> 3) << 1 : 0;
  const words = wordView(data, i, wordCount);
  for (let w = 0; w < wordCount; w += 2) {
    const a = lo ^ words[w]!;
    const b = hi ^ words[w + 1]!;
    const i7 = 0x700 + (a & 0xff);
    const i6 = 0x600 + ((a >>> 8) & 0xff);
    const i5 = 0x500 + ((a >>> 16) & 0xff);
    const i4 = 0x400 + (a >>> 24);
    const i3 = 0x300 + (b & 0xff);
    const i2 = 0x200 + ((b >>> 8) & 0xff);
    const i1 = 0x100 + ((b >>> 16) & 0xff);
    const i0 = b >>> 24;
    lo = L[i7]! ^ L[i6]! ^ L[i5]! ^ L[i4]! ^ L[i3]! ^ L[i2]! ^ L[i1]! ^ L[i0]!;
    hi = H[i7]! ^ H[i6]! ^ H[i5]! ^ H[i4]! ^ H[i3]! ^ H[i2]! ^ H[i1]! ^ H[i0]!;
  }
  i += wordCount * 4;
  for (; i < data.length; i++) {
    const x = (lo ^ data[i]!) & 0xff;
    lo = L[x]! ^ ((lo >>> 8) | (hi << 24));
    hi = H[x]! ^ (hi >>> 8);
  }
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

function update32c(register: number, data: Uint8Array): number {
  const T = getTables().crc32c;
  let crc = register | 0;
  const head = headLength(data);
  let i = 0;
  for (; i < head; i++) crc = T[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  const wordCount = LITTLE_ENDIAN ? ((data.length - i) >>> 3) << 1 : 0;
  const words = wordView(data, i, wordCount);
  for (let w = 0; w < wordCount; w += 2) {
    const a = crc ^ words[w]!;
    const b = words[w + 1]!;
    crc =
      T[0x700 + (a & 0xff)]! ^
      T[0x600 + ((a >>> 8) & 0xff)]! ^
      T[0x500 + ((a >>> 16) & 0xff)]! ^
      T[0x400 + (a >>> 24)]! ^
      T[0x300 + (b & 0xff)]! ^
      T[0x200 + ((b >>> 8) & 0xff)]! ^
      T[0x100 + ((b >>> 16) & 0xff)]! ^
      T[b >>> 24]!;
  }
  i += wordCount * 4;
  for (; i < data.length; i++) crc = T[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return crc >>> 0;
}

const engine: CrcEngine = {
  name: 'js',
  crc64nvme: update64,
  crc32c: update32c,
  both(registers: CrcRegisters, data: Uint8Array): void {
    registers.crc64nvme = update64(registers.crc64nvme, data);
    registers.crc32c = update32c(registers.crc32c, data);
  },
};

/** The plain-JavaScript engine. */
export function jsCrcEngine(): CrcEngine {
  return engine;
}

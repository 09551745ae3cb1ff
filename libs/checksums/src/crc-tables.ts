/**
 * Slicing tables for reflected CRCs. Table k, entry i, is the register after feeding byte i
 * and then k zero bytes into a zero register, so k+1 input bytes can be folded with k+1
 * independent look-ups (Intel's slicing-by-8, generalised to any number of slices).
 */

/** CRC-64/NVME (the S3 `CRC64NVME` algorithm): polynomial 0xAD93D23594C93659, reflected. */
export const CRC64_NVME_POLY_REFLECTED = 0x9a6c9329ac4bc9b5n;

/** CRC-32C (Castagnoli): polynomial 0x1EDC6F41, reflected. */
export const CRC32C_POLY_REFLECTED = 0x82f63b78;

/** CRC-32 (ISO-HDLC, zlib's): polynomial 0x04C11DB7, reflected. */
export const CRC32_POLY_REFLECTED = 0xedb88320;

/** Both halves of 64-bit table entries, entry `k * 256 + i` of each array. */
export interface SplitTables {
  readonly lo: Int32Array;
  readonly hi: Int32Array;
}

/** Slicing tables for a reflected 32-bit CRC: entry `k * 256 + i`. */
export function slicingTables32(polyReflected: number, slices: number): Int32Array {
  const table = new Int32Array(slices * 256);
  for (let i = 0; i < 256; i++) {
    let crc = i;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ polyReflected : crc >>> 1;
    table[i] = crc;
  }
  for (let k = 1; k < slices; k++) {
    for (let i = 0; i < 256; i++) {
      const previous = table[(k - 1) * 256 + i]!;
      table[k * 256 + i] = table[previous & 0xff]! ^ (previous >>> 8);
    }
  }
  return table;
}

/** Slicing tables for a reflected 64-bit CRC, split into 32-bit halves. */
export function slicingTables64(polyReflected: bigint, slices: number): SplitTables {
  const polyLo = Number(polyReflected & 0xffffffffn) | 0;
  const polyHi = Number(polyReflected >> 32n) | 0;
  const lo = new Int32Array(slices * 256);
  const hi = new Int32Array(slices * 256);
  for (let i = 0; i < 256; i++) {
    let l = i;
    let h = 0;
    for (let bit = 0; bit < 8; bit++) {
      const carry = l & 1;
      l = (l >>> 1) | (h << 31);
      h = h >>> 1;
      if (carry !== 0) {
        l ^= polyLo;
        h ^= polyHi;
      }
    }
    lo[i] = l;
    hi[i] = h;
  }
  for (let k = 1; k < slices; k++) {
    for (let i = 0; i < 256; i++) {
      const pl = lo[(k - 1) * 256 + i]!;
      const ph = hi[(k - 1) * 256 + i]!;
      lo[k * 256 + i] = lo[pl & 0xff]! ^ ((pl >>> 8) | (ph << 24));
      hi[k * 256 + i] = hi[pl & 0xff]! ^ (ph >>> 8);
    }
  }
  return { lo, hi };
}

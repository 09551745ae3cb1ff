import { InternalError } from '@sluice/errors';
import { CRC32C_POLY_REFLECTED, CRC32_POLY_REFLECTED, CRC64_NVME_POLY_REFLECTED } from './crc-tables.ts';

/**
 * CRC of A‖B from crc(A), crc(B) and B's length, without the bytes (zlib's crc32_combine).
 *
 * For a reflected CRC whose init equals its xorout (all ones for every CRC here), feeding B
 * after A is linear: crc(A‖B) = crc(A)·x^(8·len(B)) mod P  ⊕  crc(B). So combining is one
 * multiplication in GF(2)[x]/P by x^(8n), and x^(8n) is a product of precomputed powers, one
 * per hex digit of n: x^(8·d·16^k) for d in 1..15 and k up to 13 (n < 2^53). In the reflected
 * order CRCs use, the top bit of a value is the coefficient of x^0.
 */

const LEVELS = 14;

function checkLength(length: number): void {
  if (!Number.isSafeInteger(length) || length < 0) {
    throw new InternalError(`a CRC combine length must be a non-negative safe integer, got ${length}`);
  }
}

/** Arithmetic modulo a 32-bit reflected polynomial. */
class Gf2Mod32 {
  readonly #poly: number;
  #powers: Int32Array | undefined;

  constructor(polyReflected: number) {
    this.#poly = polyReflected;
  }

  multiply(a: number, b: number): number {
    if (a === 0) return 0;
    let product = 0;
    let factor = b;
    // The highest-degree term of `a` is its lowest set bit; nothing is left to add after it.
    const last = Math.clz32(a & -a);
    for (let bit = 0; bit <= last; bit++) {
      if (((a >>> (31 - bit)) & 1) !== 0) product ^= factor;
      factor = factor & 1 ? (factor >>> 1) ^ this.#poly : factor >>> 1;
    }
    return product >>> 0;
  }

  /** x^(8n) mod P: the operator that appends n zero bytes. */
  zeroBytesOperator(n: number): number {
    const powers = this.#table();
    let result = 0x80000000;
    let rest = n;
    for (let level = 0; rest > 0; level++) {
      const digit = rest % 16;
      if (digit !== 0) result = this.multiply(powers[level * 16 + digit]!, result);
      rest = Math.floor(rest / 16);
    }
    return result;
  }

  #table(): Int32Array {
    if (this.#powers !== undefined) return this.#powers;
    const powers = new Int32Array(LEVELS * 16);
    let base = 1 << (31 - 8);
    for (let level = 0; level < LEVELS; level++) {
      powers[level * 16] = 1 << 31;
      for (let digit = 1; digit < 16; digit++) {
        powers[level * 16 + digit] = this.multiply(powers[level * 16 + digit - 1]!, base);
      }
      for (let square = 0; square < 4; square++) base = this.multiply(base, base);
    }
    this.#powers = powers;
    return powers;
  }

  combine(crcA: number, crcB: number, lengthB: number): number {
    return (this.multiply(this.zeroBytesOperator(lengthB), crcA) ^ crcB) >>> 0;
  }
}

/** Arithmetic modulo a 64-bit reflected polynomial, on two 32-bit halves (hi holds x^0..x^31). */
class Gf2Mod64 {
  readonly #polyHi: number;
  readonly #polyLo: number;
  #powers: Int32Array | undefined;

  constructor(polyReflected: bigint) {
    this.#polyHi = Number(polyReflected >> 32n) | 0;
    this.#polyLo = Number(polyReflected & 0xffffffffn) | 0;
  }

  multiply(aHi: number, aLo: number, bHi: number, bLo: number): [number, number] {
    if (aHi === 0 && aLo === 0) return [0, 0];
    let productHi = 0;
    let productLo = 0;
    let factorHi = bHi;
    let factorLo = bLo;
    const last = aLo !== 0 ? 32 + Math.clz32(aLo & -aLo) : Math.clz32(aHi & -aHi);
    for (let bit = 0; bit <= last; bit++) {
      const set = bit < 32 ? (aHi >>> (31 - bit)) & 1 : (aLo >>> (63 - bit)) & 1;
      if (set !== 0) {
        productHi ^= factorHi;
        productLo ^= factorLo;
      }
      const carry = factorLo & 1;
      factorLo = (factorLo >>> 1) | (factorHi << 31);
      factorHi = factorHi >>> 1;
      if (carry !== 0) {
        factorHi ^= this.#polyHi;
        factorLo ^= this.#polyLo;
      }
    }
    return [productHi, productLo];
  }

  /** x^(8n) mod P as [hi, lo]. */
  zeroBytesOperator(n: number): [number, number] {
    const powers = this.#table();
    let hi = 1 << 31;
    let lo = 0;
    let rest = n;
    for (let level = 0; rest > 0; level++) {
      const digit = rest % 16;
      if (digit !== 0) {
        const at = (level * 16 + digit) * 2;
        [hi, lo] = this.multiply(powers[at]!, powers[at + 1]!, hi, lo);
      }
      rest = Math.floor(rest / 16);
    }
    return [hi, lo];
  }

  #table(): Int32Array {
    if (this.#powers !== undefined) return this.#powers;
    const powers = new Int32Array(LEVELS * 16 * 2);
    let baseHi = 1 << (31 - 8);
    let baseLo = 0;
    for (let level = 0; level < LEVELS; level++) {
      const row = level * 32;
      powers[row] = 1 << 31;
      powers[row + 1] = 0;
      for (let digit = 1; digit < 16; digit++) {
        const [hi, lo] = this.multiply(
          powers[row + digit * 2 - 2]!,
          powers[row + digit * 2 - 1]!,
          baseHi,
          baseLo,
        );
        powers[row + digit * 2] = hi;
        powers[row + digit * 2 + 1] = lo;
      }
      for (let square = 0; square < 4; square++)
        [baseHi, baseLo] = this.multiply(baseHi, baseLo, baseHi, baseLo);
    }
    this.#powers = powers;
    return powers;
  }

  /** crc(A‖B) given an operator for len(B) from zeroBytesOperator. */
  combineWith(operator: readonly [number, number], crcA: bigint, crcB: bigint): bigint {
    const [hi, lo] = this.multiply(
      operator[0],
      operator[1],
      Number(crcA >> 32n) | 0,
      Number(crcA & 0xffffffffn) | 0,
    );
    return ((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)) ^ crcB;
  }
}

const crc64NvmeField = new Gf2Mod64(CRC64_NVME_POLY_REFLECTED);
const crc32cField = new Gf2Mod32(CRC32C_POLY_REFLECTED);
const crc32Field = new Gf2Mod32(CRC32_POLY_REFLECTED);

function checkCrc64(crc: bigint): void {
  if (BigInt.asUintN(64, crc) !== crc) throw new InternalError(`${crc} is not an unsigned 64-bit CRC`);
}

function checkCrc32(crc: number): void {
  if (crc >>> 0 !== crc) throw new InternalError(`${crc} is not an unsigned 32-bit CRC`);
}

/** CRC-64/NVME of A‖B from the CRCs of A and B and the length of B in bytes. */
export function combineCrc64nvme(crcA: bigint, crcB: bigint, lengthB: number): bigint {
  checkCrc64(crcA);
  checkCrc64(crcB);
  checkLength(lengthB);
  return crc64NvmeField.combineWith(crc64NvmeField.zeroBytesOperator(lengthB), crcA, crcB);
}

/** CRC-32C of A‖B from the CRCs of A and B and the length of B in bytes. */
export function combineCrc32c(crcA: number, crcB: number, lengthB: number): number {
  checkCrc32(crcA);
  checkCrc32(crcB);
  checkLength(lengthB);
  return crc32cField.combine(crcA, crcB, lengthB);
}

/** CRC-32 (ISO-HDLC) of A‖B from the CRCs of A and B and the length of B in bytes. */
export function combineCrc32(crcA: number, crcB: number, lengthB: number): number {
  checkCrc32(crcA);
  checkCrc32(crcB);
  checkLength(lengthB);
  return crc32Field.combine(crcA, crcB, lengthB);
}

/** The CRC of a run of bytes and how many bytes it covers. */
export interface CrcPiece<T extends bigint | number> {
  readonly crc: T;
  readonly length: number;
}

/** The CRC algorithms that combine. */
export type CombinableCrc = 'crc64nvme' | 'crc32c' | 'crc32';

/**
 * The CRC and length of the pieces concatenated in order (chunks of a file, say). No pieces give
 * CRC 0 over 0 bytes, the CRC of nothing. Operators are cached by length within the call, so
 * equal-sized chunks cost one multiplication each.
 */
export function combineAll(algorithm: 'crc64nvme', pieces: Iterable<CrcPiece<bigint>>): CrcPiece<bigint>;
export function combineAll(
  algorithm: 'crc32c' | 'crc32',
  pieces: Iterable<CrcPiece<number>>,
): CrcPiece<number>;
export function combineAll(
  algorithm: CombinableCrc,
  pieces: Iterable<CrcPiece<bigint>> | Iterable<CrcPiece<number>>,
): CrcPiece<bigint> | CrcPiece<number> {
  if (algorithm === 'crc64nvme') {
    const operators = new Map<number, [number, number]>();
    let crc = 0n;
    let length = 0;
    for (const piece of pieces as Iterable<CrcPiece<bigint>>) {
      checkCrc64(piece.crc);
      checkLength(piece.length);
      let operator = operators.get(piece.length);
      if (operator === undefined) {
        operator = crc64NvmeField.zeroBytesOperator(piece.length);
        operators.set(piece.length, operator);
      }
      crc = crc64NvmeField.combineWith(operator, crc, piece.crc);
      length += piece.length;
    }
    return { crc, length };
  }
  const field = algorithm === 'crc32c' ? crc32cField : crc32Field;
  const operators = new Map<number, number>();
  let crc = 0;
  let length = 0;
  for (const piece of pieces as Iterable<CrcPiece<number>>) {
    checkCrc32(piece.crc);
    checkLength(piece.length);
    let operator = operators.get(piece.length);
    if (operator === undefined) {
      operator = field.zeroBytesOperator(piece.length);
      operators.set(piece.length, operator);
    }
    crc = (field.multiply(operator, crc) ^ piece.crc) >>> 0;
    length += piece.length;
  }
  return { crc, length };
}

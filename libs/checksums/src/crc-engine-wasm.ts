import { InternalError } from '@sluice/errors';
import type { CrcEngine, CrcRegisters } from './crc-engine.ts';
import {
  CRC32C_POLY_REFLECTED,
  CRC64_NVME_POLY_REFLECTED,
  slicingTables32,
  slicingTables64,
} from './crc-tables.ts';
import {
  EMPTY_BLOCK,
  I32,
  I64,
  encodeModule,
  i32Const,
  i64Const,
  load,
  op,
  type WasmFunction,
} from './wasm-encoder.ts';

/**
 * CRC engine in WebAssembly: slicing-by-16, which in JavaScript is held back by splitting the
 * 64-bit register into halves (twice the look-ups) and by bounds checks on every table read.
 * WebAssembly has native i64 and checks nothing but the memory's end.
 *
 * Memory layout (little-endian, as WebAssembly always is):
 *   [TABLE64, +32 KiB)  16 × 256 i64 entries for CRC64/NVME
 *   [TABLE32, +16 KiB)  16 × 256 i32 entries for CRC32C
 *   [SCRATCH, +64 KiB)  input, copied in one block at a time (a copy runs at memory speed,
 *                       several times faster than the CRC itself)
 * One instance serves the whole thread: calls are synchronous and keep no state inside.
 */

const SLICES = 16;
const TABLE64 = 0;
const TABLE32 = TABLE64 + SLICES * 256 * 8;
const SCRATCH = TABLE32 + SLICES * 256 * 4;
const SCRATCH_SIZE = 64 * 1024;
const PAGES = Math.ceil((SCRATCH + SCRATCH_SIZE) / 65536);

// Parameter and local indices shared by both kernels.
const CRC = 0;
const PTR = 1;
const LEN = 2;
const WORDS = [3, 4, 5, 6] as const;
const X64 = 7;

/** XOR of the 16 table entries selected by the 16 bytes held in the four word locals. */
function foldSixteenBytes(width: 32 | 64): number[] {
  const code: number[] = [];
  const entryShift = width === 64 ? 3 : 2;
  const tableBase = width === 64 ? TABLE64 : TABLE32;
  const entryLoad = width === 64 ? op.i64Load : op.i32Load;
  const xor = width === 64 ? op.i64Xor : op.i32Xor;
  let byteIndex = 0;
  for (const word of WORDS) {
    for (const shift of [0, 8, 16, 24]) {
      // Byte j of the block selects from table 15 - j: it is followed by 15 - j more bytes.
      const table = SLICES - 1 - byteIndex;
      code.push(op.localGet, word);
      if (shift !== 0) code.push(...i32Const(shift), op.i32ShrU);
      if (shift !== 24) code.push(...i32Const(0xff), op.i32And);
      code.push(...i32Const(entryShift), op.i32Shl);
      code.push(...load(entryLoad, entryShift, tableBase + table * 256 * (width / 8)));
      if (byteIndex > 0) code.push(xor);
      byteIndex++;
    }
  }
  return code;
}

/** `crc = table0[(crc ^ byte) & 0xff] ^ (crc >>> 8)` for each remaining byte. */
function foldTailBytes(width: 32 | 64): number[] {
  const entryShift = width === 64 ? 3 : 2;
  const byteIndex =
    width === 64
      ? [op.localGet, CRC, op.i32WrapI64, op.localGet, PTR, ...load(op.i32Load8U, 0, 0), op.i32Xor]
      : [op.localGet, CRC, op.localGet, PTR, ...load(op.i32Load8U, 0, 0), op.i32Xor];
  const shifted =
    width === 64
      ? [op.localGet, CRC, ...i64Const(8), op.i64ShrU, op.i64Xor]
      : [op.localGet, CRC, ...i32Const(8), op.i32ShrU, op.i32Xor];
  return [
    op.block,
    EMPTY_BLOCK,
    op.loop,
    EMPTY_BLOCK,
    ...[op.localGet, LEN, op.i32Eqz, op.brIf, 1],
    ...byteIndex,
    ...i32Const(0xff),
    op.i32And,
    ...i32Const(entryShift),
    op.i32Shl,
    ...load(width === 64 ? op.i64Load : op.i32Load, entryShift, width === 64 ? TABLE64 : TABLE32),
    ...shifted,
    ...[op.localSet, CRC],
    ...advance(1),
    ...[op.br, 0, op.end, op.end],
  ];
}

function advance(bytes: number): number[] {
  return [
    ...[op.localGet, PTR, ...i32Const(bytes), op.i32Add, op.localSet, PTR],
    ...[op.localGet, LEN, ...i32Const(bytes), op.i32Sub, op.localSet, LEN],
  ];
}

/** Reads the 16-byte block at PTR into the word locals, the CRC folded into the first bytes. */
function loadBlock(width: 32 | 64): number[] {
  const [w0, w1, w2, w3] = WORDS;
  const first =
    width === 64
      ? [
          ...[op.localGet, CRC, op.localGet, PTR, ...load(op.i64Load, 0, 0), op.i64Xor, op.localTee, X64],
          ...[op.i32WrapI64, op.localSet, w0],
          ...[op.localGet, X64, ...i64Const(32), op.i64ShrU, op.i32WrapI64, op.localSet, w1],
        ]
      : [
          ...[op.localGet, CRC, op.localGet, PTR, ...load(op.i32Load, 0, 0), op.i32Xor, op.localSet, w0],
          ...[op.localGet, PTR, ...load(op.i32Load, 0, 4), op.localSet, w1],
        ];
  return [
    ...first,
    ...[op.localGet, PTR, ...load(op.i32Load, 0, 8), op.localSet, w2],
    ...[op.localGet, PTR, ...load(op.i32Load, 0, 12), op.localSet, w3],
  ];
}

/** `update(crc, ptr, len) -> crc` over memory [ptr, ptr + len). */
function kernel(width: 32 | 64, name: string): WasmFunction {
  const crcType = width === 64 ? I64 : I32;
  return {
    name,
    params: [crcType, I32, I32],
    results: [crcType],
    locals: [I32, I32, I32, I32, I64],
    body: [
      op.block,
      EMPTY_BLOCK,
      op.loop,
      EMPTY_BLOCK,
      ...[op.localGet, LEN, ...i32Const(SLICES), op.i32LtU, op.brIf, 1],
      ...loadBlock(width),
      ...foldSixteenBytes(width),
      ...[op.localSet, CRC],
      ...advance(SLICES),
      ...[op.br, 0, op.end, op.end],
      ...foldTailBytes(width),
      op.localGet,
      CRC,
    ],
  };
}

/** The part of the WebAssembly JS API used here; the Node typings do not declare it. */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

/** The runtime's WebAssembly, or undefined (`node --jitless` has none). */
export function webAssembly(): WebAssemblyApi | undefined {
  return (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;
}

interface Kernels {
  readonly crc64: (crc: bigint, ptr: number, len: number) => bigint;
  readonly crc32: (crc: number, ptr: number, len: number) => number;
  readonly memory: Buffer;
}

function instantiate(): Kernels {
  const wasm = webAssembly();
  if (wasm === undefined) throw new InternalError('this runtime has no WebAssembly: use the js CRC engine');
  const bytes = encodeModule([kernel(64, 'crc64'), kernel(32, 'crc32')], PAGES);
  const instance = new wasm.Instance(new wasm.Module(bytes), {});
  const exports = instance.exports as {
    crc64: Kernels['crc64'];
    crc32: Kernels['crc32'];
    memory: { buffer: ArrayBuffer };
  };
  const view = new DataView(exports.memory.buffer);
  const t64 = slicingTables64(CRC64_NVME_POLY_REFLECTED, SLICES);
  const t32 = slicingTables32(CRC32C_POLY_REFLECTED, SLICES);
  for (let i = 0; i < SLICES * 256; i++) {
    view.setInt32(TABLE64 + i * 8, t64.lo[i]!, true);
    view.setInt32(TABLE64 + i * 8 + 4, t64.hi[i]!, true);
    view.setInt32(TABLE32 + i * 4, t32[i]!, true);
  }
  // The memory never grows, so this view stays valid.
  return { crc64: exports.crc64, crc32: exports.crc32, memory: Buffer.from(exports.memory.buffer) };
}

let engine: CrcEngine | undefined;

/** The WebAssembly engine, compiled on first use (a few milliseconds). */
export function wasmCrcEngine(): CrcEngine {
  if (engine !== undefined) return engine;
  const { crc64, crc32, memory } = instantiate();
  const each = (data: Uint8Array, fold: (length: number) => void): void => {
    for (let offset = 0; offset < data.length; offset += SCRATCH_SIZE) {
      const block = data.subarray(offset, offset + SCRATCH_SIZE);
      // A memcpy, also from shared memory (the checksum pool's arena), which Uint8Array#set
      // copies word by word with relaxed atomics.
      if (block.length > 0) memory.fill(block, SCRATCH, SCRATCH + block.length);
      fold(block.length);
    }
  };
  engine = {
    name: 'wasm',
    crc64nvme(register: bigint, data: Uint8Array): bigint {
      let crc = register;
      each(data, (length) => (crc = crc64(crc, SCRATCH, length)));
      // i64 results come back signed; registers are kept unsigned.
      return BigInt.asUintN(64, crc);
    },
    crc32c(register: number, data: Uint8Array): number {
      let crc = register;
      each(data, (length) => (crc = crc32(crc, SCRATCH, length)));
      return crc >>> 0;
    },
    both(registers: CrcRegisters, data: Uint8Array): void {
      let crc64Register = registers.crc64nvme;
      let crc32Register = registers.crc32c;
      each(data, (length) => {
        crc64Register = crc64(crc64Register, SCRATCH, length);
        crc32Register = crc32(crc32Register, SCRATCH, length);
      });
      registers.crc64nvme = BigInt.asUintN(64, crc64Register);
      registers.crc32c = crc32Register >>> 0;
    },
  };
  return engine;
}

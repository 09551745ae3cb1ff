/**
 * Just enough of the WebAssembly binary format (Core Specification §5) to emit the CRC kernels:
 * one memory, functions with i32/i64 values, structured control flow. Kept apart so the kernel
 * code reads as instructions rather than byte arithmetic.
 */

/** Value types (§5.3.1). */
export const I32 = 0x7f;
export const I64 = 0x7e;

/** The opcodes the kernels use (§5.4). */
export const op = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i64Load: 0x29,
  i32Load8U: 0x2d,
  i32Const: 0x41,
  i64Const: 0x42,
  i32Eqz: 0x45,
  i32LtU: 0x49,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32And: 0x71,
  i32Xor: 0x73,
  i32Shl: 0x74,
  i32ShrU: 0x76,
  i64Xor: 0x85,
  i64ShrU: 0x88,
  i32WrapI64: 0xa7,
} as const;

/** The block type of a block or loop that leaves nothing on the stack. */
export const EMPTY_BLOCK = 0x40;

/** Unsigned LEB128 (§5.2.2). */
export function uleb128(value: number): number[] {
  const out: number[] = [];
  let rest = value >>> 0;
  do {
    const low = rest & 0x7f;
    rest >>>= 7;
    out.push(rest === 0 ? low : low | 0x80);
  } while (rest !== 0);
  return out;
}

/** Signed LEB128 (§5.2.2), for i32.const and i64.const immediates. */
export function sleb128(value: number): number[] {
  const out: number[] = [];
  let rest = value | 0;
  for (;;) {
    const low = rest & 0x7f;
    rest >>= 7;
    const done = (rest === 0 && (low & 0x40) === 0) || (rest === -1 && (low & 0x40) !== 0);
    out.push(done ? low : low | 0x80);
    if (done) return out;
  }
}

/** `i32.const value`. */
export function i32Const(value: number): number[] {
  return [op.i32Const, ...sleb128(value)];
}

/** `i64.const value` for values that fit in 32 signed bits, which is all the kernels need. */
export function i64Const(value: number): number[] {
  return [op.i64Const, ...sleb128(value)];
}

/** A load with its memory argument: log2 of the alignment hint, then a constant byte offset. */
export function load(opcode: number, alignLog2: number, offset: number): number[] {
  return [opcode, alignLog2, ...uleb128(offset)];
}

/** One exported function. Locals beyond the parameters are declared in `locals`. */
export interface WasmFunction {
  readonly name: string;
  readonly params: readonly number[];
  readonly results: readonly number[];
  readonly locals: readonly number[];
  /** The instructions, without the final `end`. */
  readonly body: readonly number[];
}

function vector(items: readonly (readonly number[])[]): number[] {
  return [...uleb128(items.length), ...items.flat()];
}

function section(id: number, content: readonly number[]): number[] {
  return [id, ...uleb128(content.length), ...content];
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  return [...uleb128(bytes.length), ...bytes];
}

/**
 * A module with one exported memory named `memory` of `memoryPages` 64 KiB pages, and the
 * given functions exported under their names. Each function gets its own type entry.
 */
export function encodeModule(functions: readonly WasmFunction[], memoryPages: number): Uint8Array {
  const types = functions.map((f) => [
    0x60,
    ...vector(f.params.map((t) => [t])),
    ...vector(f.results.map((t) => [t])),
  ]);
  const codes = functions.map((f) => {
    const locals = vector(f.locals.map((t) => [1, t]));
    const body = [...locals, ...f.body, op.end];
    return [...uleb128(body.length), ...body];
  });
  const exports = [
    ...functions.map((f, index) => [...name(f.name), 0x00, ...uleb128(index)]),
    [...name('memory'), 0x02, 0x00],
  ];
  return new Uint8Array([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, vector(types)),
    ...section(3, vector(functions.map((_, index) => uleb128(index)))),
    ...section(5, vector([[0x00, ...uleb128(memoryPages)]])),
    ...section(7, vector(exports)),
    ...section(10, vector(codes)),
  ]);
}

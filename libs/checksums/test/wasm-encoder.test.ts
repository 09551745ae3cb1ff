import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sleb128, uleb128 } from '../src/wasm-encoder.ts';

// The examples of the WebAssembly specification's integer encodings.
describe('LEB128', () => {
  it('encodes unsigned values', () => {
    assert.deepEqual(uleb128(0), [0]);
    assert.deepEqual(uleb128(127), [0x7f]);
    assert.deepEqual(uleb128(128), [0x80, 0x01]);
    assert.deepEqual(uleb128(624485), [0xe5, 0x8e, 0x26]);
  });

  it('encodes signed values', () => {
    assert.deepEqual(sleb128(0), [0]);
    assert.deepEqual(sleb128(63), [0x3f]);
    assert.deepEqual(sleb128(64), [0xc0, 0x00]);
    assert.deepEqual(sleb128(255), [0xff, 0x01]);
    assert.deepEqual(sleb128(-1), [0x7f]);
    assert.deepEqual(sleb128(-123456), [0xc0, 0xbb, 0x78]);
  });
});

/**
 * SHA-256 whose running state can be saved and restored in another process: the part-writer keeps
 * an upload's whole-file hash in Redis this way, so a crash or a rebalance resumes the hash
 * instead of losing it. It is `native/sha256-state.c` in the native module (src/native.ts),
 * OpenSSL's SHA-256 as node:crypto runs it (the same speed: node:crypto itself cannot save a
 * state, and a WebAssembly one ran 6.5 times slower here). When the module is missing,
 * {@link resumableSha256Missing} says why and callers fall back to node:crypto.
 */
import { ChecksumFormatError } from './errors.ts';
import { nativeChecksums, nativeChecksumsMissing, type NativeChecksums } from './native.ts';

/** Why the native module is not there, or undefined when it is. */
export const resumableSha256Missing: string | undefined = nativeChecksumsMissing;

function engine(): NativeChecksums {
  if (nativeChecksums === undefined) throw new Error(nativeChecksumsMissing);
  return nativeChecksums;
}

/** A SHA-256 whose state {@link save} writes out and {@link ResumableSha256.restore} reads back. */
export class ResumableSha256 {
  readonly #context: Uint8Array;

  /** A hash of no bytes. Throws when the native module is missing ({@link resumableSha256Missing}). */
  constructor() {
    const sha = engine();
    this.#context = new Uint8Array(new ArrayBuffer(sha.sha256ContextSize));
    sha.sha256Init(this.#context);
  }

  /** Whether the native module loaded. */
  static get available(): boolean {
    return nativeChecksums !== undefined;
  }

  /**
   * A hash that goes on from a state {@link save} gave: the eight state words, the count of bytes
   * hashed, the bytes of the block not yet compressed. Throws ChecksumFormatError on anything else.
   */
  static restore(saved: Uint8Array): ResumableSha256 {
    const hash = new ResumableSha256();
    try {
      engine().sha256Restore(hash.#context, saved);
    } catch (err) {
      throw new ChecksumFormatError(
        'sha256State',
        `a saved SHA-256 state of ${saved.length} bytes is not one: ${(err as Error).message}`,
      );
    }
    return hash;
  }

  /** Feeds the next bytes. */
  update(bytes: Uint8Array): this {
    engine().sha256Update(this.#context, bytes);
    return this;
  }

  /** The digest of every byte fed so far; more may follow. */
  digest(): Buffer {
    const out = Buffer.alloc(32);
    engine().sha256Digest(this.#context, out);
    return out;
  }

  /** The state as {@link ResumableSha256.restore} takes it: 40 to 103 bytes. */
  save(): Buffer {
    const sha = engine();
    const out = Buffer.alloc(sha.sha256SavedSize);
    return out.subarray(0, sha.sha256Save(this.#context, out));
  }

  /** The number of bytes fed so far, as a saved state records it. */
  static bytesOf(saved: Uint8Array): number {
    if (saved.length < 40)
      throw new ChecksumFormatError(
        'sha256State',
        `a saved SHA-256 state has at least 40 bytes, not ${saved.length}`,
      );
    return Number(Buffer.from(saved.buffer, saved.byteOffset, saved.length).readBigUInt64BE(32));
  }
}

/**
 * SHA-256 whose running state can be saved and restored in another process: the part-writer keeps
 * an upload's whole-file hash in Redis this way, so a crash or a rebalance resumes the hash
 * instead of losing it. It is the native module `native/sha256-state.c`, OpenSSL's SHA-256 as
 * node:crypto runs it (the same speed: node:crypto itself cannot save a state, and a WebAssembly
 * one ran 6.5 times slower here). Built by `native/build.ts`; when it is missing,
 * {@link resumableSha256Missing} says why and callers fall back to node:crypto.
 */
import { createRequire } from 'node:module';
import { ChecksumFormatError } from './errors.ts';

interface Sha256State {
  readonly contextSize: number;
  readonly savedSize: number;
  init(context: Uint8Array): void;
  update(context: Uint8Array, bytes: Uint8Array): void;
  digest(context: Uint8Array, out: Uint8Array): void;
  save(context: Uint8Array, out: Uint8Array): number;
  restore(context: Uint8Array, saved: Uint8Array): void;
}

const MODULE = '../build/sha256-state.node';

let native: Sha256State | undefined;
/** Why the native module is not there, or undefined when it is. */
export let resumableSha256Missing: string | undefined;
try {
  native = createRequire(import.meta.url)(MODULE) as Sha256State;
} catch (err) {
  resumableSha256Missing =
    `${MODULE} (libs/checksums) did not load: ${(err as Error).message.split('\n')[0]}; ` +
    'build it with `node libs/checksums/native/build.ts`';
}

function engine(): Sha256State {
  if (native === undefined) throw new Error(resumableSha256Missing);
  return native;
}

/** A SHA-256 whose state {@link save} writes out and {@link ResumableSha256.restore} reads back. */
export class ResumableSha256 {
  readonly #context: Uint8Array;

  /** A hash of no bytes. Throws when the native module is missing ({@link resumableSha256Missing}). */
  constructor() {
    const sha = engine();
    this.#context = new Uint8Array(new ArrayBuffer(sha.contextSize));
    sha.init(this.#context);
  }

  /** Whether the native module loaded. */
  static get available(): boolean {
    return native !== undefined;
  }

  /**
   * A hash that goes on from a state {@link save} gave: the eight state words, the count of bytes
   * hashed, the bytes of the block not yet compressed. Throws ChecksumFormatError on anything else.
   */
  static restore(saved: Uint8Array): ResumableSha256 {
    const hash = new ResumableSha256();
    try {
      engine().restore(hash.#context, saved);
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
    engine().update(this.#context, bytes);
    return this;
  }

  /** The digest of every byte fed so far; more may follow. */
  digest(): Buffer {
    const out = Buffer.alloc(32);
    engine().digest(this.#context, out);
    return out;
  }

  /** The state as {@link ResumableSha256.restore} takes it: 40 to 103 bytes. */
  save(): Buffer {
    const sha = engine();
    const out = Buffer.alloc(sha.savedSize);
    return out.subarray(0, sha.save(this.#context, out));
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

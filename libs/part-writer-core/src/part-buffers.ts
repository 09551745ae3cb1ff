/**
 * A part's bytes while it is written, in a buffer that goes back to its pool once nothing holds
 * it. Each holder releases once: the part's write (after S3 has answered), and the whole-file
 * hash when it keeps the bytes to hash later.
 */
export class PartBuffer {
  readonly bytes: Buffer;
  readonly #pool: PartBuffers;
  readonly #whole: Buffer;
  #holders = 1;
  #spoiled = false;

  constructor(pool: PartBuffers, whole: Buffer, size: number) {
    this.#pool = pool;
    this.#whole = whole;
    this.bytes = whole.subarray(0, size);
  }

  /** Another holder: it calls {@link release} when done. */
  retain(): void {
    this.#holders++;
  }

  /**
   * Never back to the pool: a request that failed may still have a socket write of these bytes
   * in progress, so the memory is left to the collector instead.
   */
  spoil(): void {
    this.#spoiled = true;
  }

  release(): void {
    if (--this.#holders === 0 && !this.#spoiled) this.#pool.give(this.#whole);
  }
}

/**
 * Buffers for parts, kept for the next part once a part is stored. Buffers of many MiB made
 * fresh for every part are garbage the collector must find (at these sizes, each few parts
 * start a full collection) and new pages the kernel must zero; reused, they are neither.
 *
 * A part takes the smallest kept buffer that holds it. At most `keep` buffers wait here; one
 * that no part can use (parts grew), or one more than `keep`, is freed at once rather than left
 * to the collector, and so are all of them once no part has been taken for `idleMs`: an idle
 * part-writer gives its memory back.
 */
export class PartBuffers {
  readonly #keep: number;
  readonly #idleMs: number;
  /** Kept buffers, smallest first. */
  #free: Buffer[] = [];
  #idle: NodeJS.Timeout | undefined;

  constructor(options: { readonly keep: number; readonly idleMs?: number }) {
    this.#keep = options.keep;
    this.#idleMs = options.idleMs ?? 30_000;
  }

  /** A buffer of `size` bytes, held once. */
  take(size: number): PartBuffer {
    this.#idle?.refresh();
    const i = this.#free.findIndex((b) => b.length >= size);
    if (i >= 0) return new PartBuffer(this, this.#free.splice(i, 1)[0] as Buffer, size);
    // None is big enough: the smallest goes, so the memory kept follows the parts' size.
    const smallest = this.#free.shift();
    if (smallest) free(smallest);
    return new PartBuffer(this, Buffer.allocUnsafeSlow(size), size);
  }

  /** Buffers waiting to be reused. */
  get kept(): number {
    return this.#free.length;
  }

  /** @internal from {@link PartBuffer.release}, once nothing holds `whole` */
  give(whole: Buffer): void {
    const at = this.#free.findIndex((b) => b.length >= whole.length);
    this.#free.splice(at < 0 ? this.#free.length : at, 0, whole);
    if (this.#free.length > this.#keep) free(this.#free.shift() as Buffer);
    this.#idle ??= setTimeout(() => {
      for (const b of this.#free) free(b);
      this.#free = [];
      this.#idle = undefined;
    }, this.#idleMs).unref();
  }
}

/** Frees a kept buffer's memory now: nothing holds it, and its ArrayBuffer is its own. */
function free(whole: Buffer): void {
  (whole.buffer as ArrayBuffer).transfer(0);
}

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
 * At most `keep` buffers wait here, and none once no part has been taken for `idleMs`: an idle
 * part-writer gives its memory back.
 */
export class PartBuffers {
  readonly #keep: number;
  readonly #idleMs: number;
  #free: Buffer[] = [];
  #idle: NodeJS.Timeout | undefined;

  constructor(options: { readonly keep: number; readonly idleMs?: number }) {
    this.#keep = options.keep;
    this.#idleMs = options.idleMs ?? 30_000;
  }

  /** A buffer of `size` bytes, held once: a kept one when one fits without wasting half of it. */
  take(size: number): PartBuffer {
    this.#idle?.refresh();
    for (let i = this.#free.length - 1; i >= 0; i--) {
      const b = this.#free[i] as Buffer;
      if (b.length >= size && b.length <= size * 2) {
        this.#free.splice(i, 1);
        return new PartBuffer(this, b, size);
      }
    }
    return new PartBuffer(this, Buffer.allocUnsafeSlow(size), size);
  }

  /** Buffers waiting to be reused. */
  get kept(): number {
    return this.#free.length;
  }

  /** @internal from {@link PartBuffer.release} */
  give(whole: Buffer): void {
    if (this.#free.length >= this.#keep) return;
    this.#free.push(whole);
    this.#idle ??= setTimeout(() => {
      this.#free = [];
      this.#idle = undefined;
    }, this.#idleMs).unref();
  }
}

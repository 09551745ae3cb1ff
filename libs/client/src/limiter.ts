import { cancelled } from './grpc-errors.ts';

/**
 * A counting semaphore: at most `size` holders at once, served first come first served.
 * One limiter can be shared by several uploads so that together they keep at most `size`
 * chunks in memory and in flight.
 */
export class Limiter {
  readonly size: number;
  #held = 0;
  readonly #waiting: Array<{ grant: () => void; signal: AbortSignal | undefined; onAbort: () => void }> = [];

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1)
      throw new RangeError(`a limiter needs a size of at least 1, not ${size}`);
    this.size = size;
  }

  /** Holders right now. */
  get held(): number {
    return this.#held;
  }

  /**
   * Waits for a free slot and returns the function that frees it (call it exactly once).
   * Rejects with a CancelledError if `signal` fires first.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(cancelled(signal, 'waiting for a free upload slot'));
    if (this.#held < this.size) {
      this.#held++;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const entry = {
        grant: () => {
          signal?.removeEventListener('abort', entry.onAbort);
          resolve(this.#releaser());
        },
        signal,
        onAbort: () => {
          const at = this.#waiting.indexOf(entry);
          if (at >= 0) this.#waiting.splice(at, 1);
          reject(cancelled(signal as AbortSignal, 'waiting for a free upload slot'));
        },
      };
      signal?.addEventListener('abort', entry.onAbort, { once: true });
      this.#waiting.push(entry);
    });
  }

  #releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter, so `held` only drops when nobody waits.
      if (next) next.grant();
      else this.#held--;
    };
  }
}

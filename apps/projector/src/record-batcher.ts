/**
 * Cuts an async stream of records into batches: a batch closes when it is full or when
 * `waitMs` passed since its first record, so a busy stream gives big batches and a quiet one
 * gives small ones without delaying any record by more than `waitMs`. A record pulled while a
 * batch closed is kept for the next batch, never dropped.
 */
export class RecordBatcher<T> {
  readonly #iterator: AsyncIterator<T>;
  #pending: Promise<IteratorResult<T>> | undefined;

  constructor(source: AsyncIterable<T>) {
    this.#iterator = source[Symbol.asyncIterator]();
  }

  /**
   * Up to `max` records. Waits for the first as long as it takes, then at most `waitMs` for
   * more. Resolves `[]` when `signal` aborts before the first record, `null` when the source
   * ended; rejects when the source fails.
   */
  async next(max: number, waitMs: number, signal: AbortSignal): Promise<T[] | null> {
    const batch: T[] = [];
    const first = await this.#take(signal);
    if (first === ABORTED) return batch;
    if (first.done) return null;
    batch.push(first.value);
    if (batch.length >= max) return batch;
    const deadline = AbortSignal.any([signal, AbortSignal.timeout(waitMs)]);
    while (batch.length < max) {
      const next = await this.#take(deadline);
      if (next === ABORTED || next.done) break;
      batch.push(next.value);
    }
    return batch;
  }

  async #take(signal: AbortSignal): Promise<IteratorResult<T> | typeof ABORTED> {
    if (signal.aborted) return ABORTED;
    if (!this.#pending) {
      this.#pending = this.#iterator.next();
      // A failure is reported to whoever takes the record next; until then it is not unhandled.
      this.#pending.catch(() => undefined);
    }
    const pending = this.#pending;
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<typeof ABORTED>((resolve) => {
      onAbort = () => resolve(ABORTED);
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const result = await Promise.race([pending, aborted]);
      // The pulled record is consumed only when it won the race; otherwise it waits for the next call.
      if (result !== ABORTED) this.#pending = undefined;
      return result;
    } catch (err) {
      this.#pending = undefined;
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort!);
    }
  }

  /** Ends the iteration (the source's `return`), releasing the stream. */
  async close(): Promise<void> {
    await this.#iterator.return?.();
  }
}

const ABORTED = Symbol('aborted');

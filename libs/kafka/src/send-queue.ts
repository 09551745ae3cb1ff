/**
 * A bounded, order-keeping batch queue: items go out in the order they were pushed, in batches
 * of whatever accumulated while the previous batch was in flight (a lone item leaves at the end
 * of the current job; under load each request carries many), one batch in flight at a time.
 *
 * Items are prepared (for events: encoded) only when a batch is assembled, never at `push`, so
 * the only encoded bytes in memory are the batch in flight and the next one; and the next one
 * is prepared while the current one is in flight, so encoding overlaps the broker's work.
 * An item whose preparation throws fails alone.
 *
 * Bound: at most `maxPendingItems` items are queued or in flight; `push` waits, in FIFO order,
 * for room beyond that.
 *
 * Failure keeps order too: when a batch fails, every item pushed before the failure was known —
 * prepared, queued, or still waiting for room — fails with it, so no later item overtakes an
 * earlier one that the caller will retry.
 */
import { Fifo } from './fifo.ts';

/** What {@link SendQueue} needs to know. */
export interface SendQueueOptions<T, P, R> {
  readonly maxPendingItems: number;
  readonly maxBatchItems: number;
  /** A batch is cut before the item that would take it past this; a bigger item goes alone. */
  readonly maxBatchBytes: number;
  /** Turns an item into what is sent, and its size; throwing fails that item alone. */
  readonly prepare: (item: T) => { readonly prepared: P; readonly bytes: number };
  /** Sends one batch; resolves with one result per item, in order. */
  readonly send: (batch: readonly P[]) => Promise<readonly R[]>;
  /** Turns a batch failure into the error each of its items (and everything behind them) rejects with. */
  readonly failure: (error: unknown, failedItems: number) => Error;
}

interface Entry<T, R> {
  readonly item: T;
  readonly resolve: (result: R) => void;
  readonly reject: (error: Error) => void;
}

interface Waiter<T, R> extends Entry<T, R> {
  readonly cleanup: () => void;
}

interface Prepared<T, P, R> {
  readonly entry: Entry<T, R>;
  readonly prepared: P;
  readonly bytes: number;
}

export class SendQueue<T, P, R> {
  readonly #options: SendQueueOptions<T, P, R>;
  /** Pushed, not yet prepared. */
  readonly #queue = new Fifo<Entry<T, R>>();
  /** Prepared for the next batch, at most one batch's worth. */
  readonly #ready = new Fifo<Prepared<T, P, R>>();
  readonly #waiters = new Fifo<Waiter<T, R>>();
  /** Prepared, but past the byte limit of `#ready`: first of the batch after. */
  #spare: Prepared<T, P, R> | undefined;
  #readyBytes = 0;
  #inFlightItems = 0;
  #inFlight = false;
  #pumpScheduled = false;
  #prepareScheduled = false;
  readonly #idle: (() => void)[] = [];

  constructor(options: SendQueueOptions<T, P, R>) {
    this.#options = options;
  }

  /** Items waiting for room, queued, prepared or in flight. */
  get pending(): number {
    return this.#accepted + this.#waiters.length;
  }

  get #accepted(): number {
    return (
      this.#queue.length + this.#ready.length + (this.#spare === undefined ? 0 : 1) + this.#inFlightItems
    );
  }

  /**
   * Queues `item` (waiting for room if needed) and resolves with its result once its batch is
   * sent. `signal` can abandon the wait for room; once queued, the item is sent.
   */
  push(item: T, signal?: AbortSignal): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      if (this.#waiters.length === 0 && this.#accepted < this.#options.maxPendingItems) {
        this.#enqueue({ item, resolve, reject });
        return;
      }
      if (signal?.aborted === true) {
        reject(signal.reason as Error);
        return;
      }
      const onAbort = (): void => {
        this.#waiters.remove(waiter);
        reject(signal?.reason as Error);
        this.#notifyIdle();
      };
      const waiter: Waiter<T, R> = {
        item,
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Resolves once nothing is waiting, queued or in flight. */
  drained(): Promise<void> {
    if (this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #enqueue(entry: Entry<T, R>): void {
    this.#queue.push(entry);
    // At the end of the current job, so items pushed together leave together.
    if (!this.#pumpScheduled && !this.#inFlight) {
      this.#pumpScheduled = true;
      queueMicrotask(() => {
        this.#pumpScheduled = false;
        this.#pump();
      });
    }
  }

  #pump(): void {
    if (this.#inFlight) return;
    this.#prepareBatch();
    if (this.#ready.length === 0) {
      this.#notifyIdle();
      return;
    }
    const batch = this.#ready.drain();
    this.#readyBytes = 0;
    this.#inFlight = true;
    this.#inFlightItems = batch.length;
    let send: Promise<readonly R[]>;
    try {
      send = this.#options.send(batch.map((entry) => entry.prepared));
    } catch (error) {
      send = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    // The next batch is prepared after this one's request is on its way, while the broker works.
    this.#schedulePrepare();
    send
      .then(
        (results) => {
          this.#inFlightItems = 0;
          batch.forEach(({ entry }, index) => entry.resolve(results[index] as R));
        },
        (error: unknown) => {
          this.#inFlightItems = 0;
          const waiters = this.#waiters.drain();
          for (const waiter of waiters) waiter.cleanup();
          const failed: Entry<T, R>[] = [
            ...batch.map((p) => p.entry),
            ...this.#ready.drain().map((p) => p.entry),
            ...(this.#spare === undefined ? [] : [this.#spare.entry]),
            ...this.#queue.drain(),
            ...waiters,
          ];
          this.#readyBytes = 0;
          this.#spare = undefined;
          const reason = this.#options.failure(error, failed.length);
          for (const entry of failed) entry.reject(reason);
        },
      )
      .finally(() => {
        this.#inFlight = false;
        this.#admitWaiters();
        this.#pump();
      });
  }

  #schedulePrepare(): void {
    if (this.#prepareScheduled) return;
    this.#prepareScheduled = true;
    setImmediate(() => {
      this.#prepareScheduled = false;
      this.#prepareBatch();
    });
  }

  /** Prepares queued items into `#ready` until it holds a full batch. */
  #prepareBatch(): void {
    const { maxBatchItems, maxBatchBytes, prepare } = this.#options;
    while (this.#ready.length < maxBatchItems) {
      let next = this.#spare;
      this.#spare = undefined;
      if (next === undefined) {
        const entry = this.#queue.shift();
        if (entry === undefined) return;
        try {
          const { prepared, bytes } = prepare(entry.item);
          next = { entry, prepared, bytes };
        } catch (error) {
          entry.reject(error instanceof Error ? error : new Error(String(error)));
          continue;
        }
      }
      if (this.#ready.length > 0 && this.#readyBytes + next.bytes > maxBatchBytes) {
        this.#spare = next;
        return;
      }
      this.#ready.push(next);
      this.#readyBytes += next.bytes;
    }
  }

  #admitWaiters(): void {
    while (this.#waiters.length > 0 && this.#accepted < this.#options.maxPendingItems) {
      const waiter = this.#waiters.shift()!;
      waiter.cleanup();
      this.#queue.push(waiter);
    }
  }

  #notifyIdle(): void {
    if (this.pending !== 0 || this.#inFlight) return;
    for (const resolve of this.#idle.splice(0)) resolve();
  }
}

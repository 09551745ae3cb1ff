/**
 * Which record of one partition is safe to commit.
 *
 * Records are dispatched in offset order and may finish in any order. The low
 * watermark is the last record below which every dispatched record has finished;
 * committing it (Kafka stores `offset + 1`) never passes an unfinished record, so a
 * crash at any moment re-delivers every record that had not finished.
 *
 * Offsets can have gaps (compaction, transaction markers): the tracker only reasons
 * about the records it was given, never about `offset + 1`.
 *
 * After a rebalance the consumer re-fetches a retained partition from its committed
 * offset while records fetched before may still arrive: `begin` refuses an offset it
 * has already seen, so the caller skips it instead of running it twice.
 */
export class PartitionTracker<T> {
  /** Dispatched records in offset order, finished or not, from the last watermark on. */
  readonly #queue: { offset: bigint; item: T; done: boolean }[] = [];
  #highest = -1n;

  /** Tracks `offset`; false when it was seen before (in flight or finished). */
  begin(offset: bigint, item: T): boolean {
    if (offset <= this.#highest) return false;
    this.#highest = offset;
    this.#queue.push({ offset, item, done: false });
    return true;
  }

  /**
   * Marks `offset` finished (processed, or dead-lettered). Returns the item at the new
   * low watermark when the watermark moved, `undefined` when an earlier record is
   * still unfinished.
   */
  finish(offset: bigint): T | undefined {
    const entry = this.#queue.find((e) => e.offset === offset);
    if (!entry) return undefined;
    entry.done = true;
    let watermark: T | undefined;
    while (this.#queue[0]?.done) watermark = this.#queue.shift()?.item;
    return watermark;
  }

  /** Records dispatched and not yet behind the watermark. */
  get size(): number {
    return this.#queue.length;
  }
}

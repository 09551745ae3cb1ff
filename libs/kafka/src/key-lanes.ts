/**
 * Runs tasks of one key one after another and tasks of different keys side by side.
 * A lane exists only while it has work, so memory follows the number of busy keys.
 */
export class KeyLanes {
  readonly #tails = new Map<string, Promise<void>>();

  /**
   * Queues `task` behind every earlier task of `key`; resolves or rejects with it.
   * A failed task does not stop the ones queued behind it.
   */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** Keys with queued or running work. */
  get busy(): number {
    return this.#tails.size;
  }
}

import type { Logger } from '@sluice/logging';

interface Window {
  readonly method: string;
  readonly code: string;
  /** Refusals after the first, not yet logged. */
  more: number;
}

/**
 * Refused calls at info without a flood: the first refusal of each method and code in a window
 * is logged at once, with its message; the others are counted and logged as one line when the
 * window ends. Each refusal also goes to debug, with its message.
 */
export class RefusalLog {
  readonly #log: Logger;
  readonly #windowMs: number;
  readonly #open = new Map<string, Window>();
  #timer: NodeJS.Timeout | undefined;

  constructor(log: Logger, windowMs = 10_000) {
    this.#log = log;
    this.#windowMs = windowMs;
  }

  note(method: string, code: string, message: string): void {
    this.#log.debug({ method, code, msg: message }, 'call refused');
    const key = `${method} ${code}`;
    const open = this.#open.get(key);
    if (open) {
      open.more += 1;
      return;
    }
    this.#open.set(key, { method, code, more: 0 });
    this.#log.info({ method, code, reason: message }, 'call refused');
    this.#timer ??= setTimeout(() => this.flush(), this.#windowMs).unref();
  }

  /** Logs the counts of the window and starts a new one. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const w of this.#open.values()) {
      if (w.more > 0) {
        this.#log.info(
          { method: w.method, code: w.code, count: w.more, window_ms: this.#windowMs },
          'more calls refused with the same code',
        );
      }
    }
    this.#open.clear();
  }
}

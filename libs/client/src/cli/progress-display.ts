import type { UploadProgress } from '../progress.ts';

/** Where the display writes: standard output, or a test's sink. */
export interface Output {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** `1536` → `1.5 KiB`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** `75` → `1:15`; `3725` → `1:02:05`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** What one line of the bar shows. */
export interface BarState {
  /** Bytes acknowledged (the bar's fill). */
  readonly done: number;
  /** Bytes in all, when known. */
  readonly total: number | undefined;
  /** Bytes per second sent recently. */
  readonly rate: number;
  readonly filesDone: number;
  readonly files: number;
  /** Chunks waiting out the server's back-pressure. */
  readonly heldBack: number;
}

/** One line: `[#####-----]  50%  5.0 MiB / 10.0 MiB  2.0 MiB/s  ETA 0:03  1/2 files`. */
export function renderBar(s: BarState, columns = 80): string {
  const fraction = s.total ? Math.min(1, s.done / s.total) : s.total === 0 ? 1 : undefined;
  const amount =
    s.total === undefined ? formatBytes(s.done) : `${formatBytes(s.done)} / ${formatBytes(s.total)}`;
  const eta =
    fraction === undefined || fraction === 1 || s.total === undefined
      ? ''
      : `  ETA ${s.rate > 0 ? formatDuration((s.total - s.done) / s.rate) : '--:--'}`;
  const files = s.files > 1 ? `  ${s.filesDone}/${s.files} files` : '';
  const busy = s.heldBack > 0 ? '  server busy, retrying' : '';
  const text = `${fraction === undefined ? '' : `${String(Math.floor(fraction * 100)).padStart(3)}%  `}${amount}  ${formatBytes(s.rate)}/s${eta}${files}${busy}`;
  // A fixed width whatever the numbers say, so the bar does not wobble as they change.
  const width = Math.min(30, columns - 70);
  if (width < 10 || fraction === undefined) return text.slice(0, Math.max(columns - 1, 20));
  const filled = Math.round(fraction * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${text}`;
}

/** Bytes per second over the last few seconds of samples. */
class RateMeter {
  readonly #samples: Array<{ at: number; bytes: number }> = [];
  readonly #windowMs: number;

  constructor(windowMs = 5000) {
    this.#windowMs = windowMs;
  }

  add(at: number, bytes: number): void {
    this.#samples.push({ at, bytes });
    while (this.#samples.length > 2 && at - (this.#samples[0]?.at ?? at) > this.#windowMs)
      this.#samples.shift();
  }

  rate(): number {
    const first = this.#samples[0];
    const last = this.#samples[this.#samples.length - 1];
    if (!first || !last || last.at - first.at < 200) return 0;
    return ((last.bytes - first.bytes) * 1000) / (last.at - first.at);
  }
}

/**
 * Progress of several uploads as one bar redrawn in place on a terminal (at most ten times a
 * second), with permanent lines printed above it. Without a terminal it draws nothing: the
 * permanent lines are the output.
 */
export class ProgressDisplay {
  readonly #out: Output;
  readonly #tty: boolean;
  readonly #now: () => number;
  readonly #files = new Map<string, UploadProgress | undefined>();
  readonly #sizes = new Map<string, number | undefined>();
  readonly #done = new Set<string>();
  readonly #meter = new RateMeter();
  #drawn = false;
  #lastDraw = 0;

  constructor(out: Output, options: { readonly tty?: boolean; readonly now?: () => number } = {}) {
    this.#out = out;
    this.#tty = options.tty ?? out.isTTY === true;
    this.#now = options.now ?? Date.now;
  }

  /** True when drawing a bar (on a terminal). */
  get tty(): boolean {
    return this.#tty;
  }

  /** Registers a file and its size, when known, before its progress arrives. */
  add(file: string, size: number | undefined): void {
    this.#files.set(file, undefined);
    this.#sizes.set(file, size);
  }

  update(file: string, progress: UploadProgress): void {
    this.#files.set(file, progress);
    if (!this.#tty) return;
    const now = this.#now();
    this.#meter.add(now, this.#sent());
    if (now - this.#lastDraw >= 100) this.#draw(now);
  }

  /** Marks a file finished (whatever the outcome). */
  finish(file: string): void {
    this.#done.add(file);
    if (this.#tty) this.#draw(this.#now());
  }

  /** Prints a line that stays, above the bar. */
  line(text: string): void {
    this.#clear();
    this.#out.write(`${text}\n`);
    if (this.#tty && this.#done.size < this.#files.size) this.#draw(this.#now());
  }

  /** Removes the bar. */
  stop(): void {
    this.#clear();
  }

  #sent(): number {
    let sum = 0;
    for (const p of this.#files.values()) if (p) sum += p.bytesAcknowledged - p.bytesResumed;
    return sum;
  }

  #draw(now: number): void {
    let done = 0;
    let total: number | undefined = 0;
    let heldBack = 0;
    for (const [file, p] of this.#files) {
      done += p?.bytesAcknowledged ?? 0;
      heldBack += p?.chunksHeldBack ?? 0;
      const size = p?.totalBytes ?? this.#sizes.get(file);
      total = total === undefined || size === undefined ? undefined : total + size;
    }
    const bar = renderBar(
      {
        done,
        total,
        rate: this.#meter.rate(),
        filesDone: this.#done.size,
        files: this.#files.size,
        heldBack,
      },
      this.#out.columns || 80,
    );
    this.#out.write(`\r\x1b[2K${bar}`);
    this.#drawn = true;
    this.#lastDraw = now;
  }

  #clear(): void {
    if (!this.#drawn) return;
    this.#out.write('\r\x1b[2K');
    this.#drawn = false;
  }
}

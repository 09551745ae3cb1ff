/**
 * An HDR histogram of latencies recorded in microseconds and read back in milliseconds,
 * so the tail (p99.9) keeps three significant digits without keeping every sample.
 */
import * as hdr from 'hdr-histogram-js';

/** Latency percentiles in milliseconds. */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/** A latency recorder; values in milliseconds. */
export class LatencyHistogram {
  readonly #h = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 3_600_000_000,
    numberOfSignificantValueDigits: 3,
  });

  record(ms: number): void {
    this.#h.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  summary(): LatencySummary {
    const at = (p: number): number =>
      this.#h.totalCount === 0 ? Number.NaN : this.#h.getValueAtPercentile(p) / 1000;
    return {
      count: this.#h.totalCount,
      p50: at(50),
      p95: at(95),
      p99: at(99),
      p999: at(99.9),
      max: this.#h.totalCount === 0 ? Number.NaN : this.#h.maxValue / 1000,
    };
  }
}

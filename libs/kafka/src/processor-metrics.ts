import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The stream-processing metrics, shared by every processor registered on one registry. */
export interface StreamMetrics {
  readonly records: Counter<'processor' | 'topic' | 'outcome'>;
  readonly inFlight: Gauge<'processor'>;
  readonly seconds: Histogram<'processor' | 'topic'>;
  readonly retries: Counter<'processor' | 'topic'>;
  readonly deadLetters: Counter<'processor' | 'topic'>;
  readonly lag: Gauge<'processor' | 'topic' | 'partition'>;
}

function once<M>(registry: Registry, name: string, make: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? make();
}

export function streamMetrics(registry: Registry): StreamMetrics {
  const registers = [registry];
  return {
    records: once(
      registry,
      'sluice_stream_records_total',
      () =>
        new Counter({
          name: 'sluice_stream_records_total',
          help: 'Records handled, by outcome: ok, dead_lettered, skipped (seen before or not assigned), abandoned (partition revoked)',
          labelNames: ['processor', 'topic', 'outcome'] as const,
          registers,
        }),
    ),
    inFlight: once(
      registry,
      'sluice_stream_in_flight',
      () =>
        new Gauge({
          name: 'sluice_stream_in_flight',
          help: 'Records dispatched and not yet finished',
          labelNames: ['processor'] as const,
          registers,
        }),
    ),
    seconds: once(
      registry,
      'sluice_stream_processing_seconds',
      () =>
        new Histogram({
          name: 'sluice_stream_processing_seconds',
          help: 'Time from the start of a record to its outcome, retries included',
          labelNames: ['processor', 'topic'] as const,
          buckets: [0.001, 0.005, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
          registers,
        }),
    ),
    retries: once(
      registry,
      'sluice_stream_retries_total',
      () =>
        new Counter({
          name: 'sluice_stream_retries_total',
          help: 'Retries of records after a retriable error',
          labelNames: ['processor', 'topic'] as const,
          registers,
        }),
    ),
    deadLetters: once(
      registry,
      'sluice_stream_dead_letters_total',
      () =>
        new Counter({
          name: 'sluice_stream_dead_letters_total',
          help: 'Records sent to the dead-letter topic',
          labelNames: ['processor', 'topic'] as const,
          registers,
        }),
    ),
    lag: once(
      registry,
      'sluice_stream_lag_records',
      () =>
        new Gauge({
          name: 'sluice_stream_lag_records',
          help: 'Records between the committed offset and the end of the partition',
          labelNames: ['processor', 'topic', 'partition'] as const,
          registers,
        }),
    ),
  };
}

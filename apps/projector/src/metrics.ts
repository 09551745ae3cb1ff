import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The projector's metrics. */
export interface ProjectorMetrics {
  readonly events: Counter<'topic' | 'kind' | 'outcome'>;
  readonly batchSeconds: Histogram;
  readonly batchRecords: Histogram;
  readonly retries: Counter<'reason'>;
  readonly lag: Gauge<'topic' | 'partition'>;
}

function once<M>(registry: Registry, name: string, make: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? make();
}

/** Registers (once per registry) and returns the projector's metrics. */
export function projectorMetrics(registry: Registry): ProjectorMetrics {
  const registers = [registry];
  return {
    events: once(
      registry,
      'sluice_projector_events_total',
      () =>
        new Counter({
          name: 'sluice_projector_events_total',
          help: 'Records handled, by topic, event kind and outcome: projected, duplicate (already in MySQL), rejected (kept in rejected_events)',
          labelNames: ['topic', 'kind', 'outcome'] as const,
          registers,
        }),
    ),
    batchSeconds: once(
      registry,
      'sluice_projector_batch_seconds',
      () =>
        new Histogram({
          name: 'sluice_projector_batch_seconds',
          help: 'Time of one committed batch transaction',
          buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
          registers,
        }),
    ),
    batchRecords: once(
      registry,
      'sluice_projector_batch_records',
      () =>
        new Histogram({
          name: 'sluice_projector_batch_records',
          help: 'Records per committed batch',
          buckets: [1, 10, 50, 100, 500, 1000, 2000, 5000, 10_000],
          registers,
        }),
    ),
    retries: once(
      registry,
      'sluice_projector_retries_total',
      () =>
        new Counter({
          name: 'sluice_projector_retries_total',
          help: 'Batches tried again, by reason: database (unavailable, deadlock), decode (registry unavailable), split (a value refused; the batch is halved to find its record)',
          labelNames: ['reason'] as const,
          registers,
        }),
    ),
    lag: once(
      registry,
      'sluice_projector_lag_records',
      () =>
        new Gauge({
          name: 'sluice_projector_lag_records',
          help: 'Records between the position stored in MySQL and the end of the partition, for the partitions this instance holds',
          labelNames: ['topic', 'partition'] as const,
          registers,
        }),
    ),
  };
}

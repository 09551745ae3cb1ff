import { Counter, Histogram, type Registry } from 'prom-client';

/** The `sluice_assembler_*` metrics, shared by everything registered on one registry. */
export interface AssemblerMetrics {
  readonly outcomes: Counter<'outcome'>;
  readonly completedBytes: Counter;
  readonly completionSeconds: Histogram;
  readonly partsRecorded: Counter;
  readonly alreadyComplete: Counter;
  readonly lateEvents: Counter<'event'>;
  readonly verifyFailures: Counter<'check'>;
  readonly sha256Bytes: Counter;
  readonly sweeps: Counter<'result'>;
  readonly sweepSeconds: Histogram;
  readonly orphans: Counter<'action'>;
}

function once<M>(registry: Registry, name: string, make: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? make();
}

export function assemblerMetrics(registry: Registry): AssemblerMetrics {
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> =>
    once(registry, name, () => new Counter<L>({ name, help, labelNames, registers }));
  const histogram = (name: string, help: string, buckets: number[]): Histogram =>
    once(registry, name, () => new Histogram({ name, help, buckets, registers }));
  return {
    outcomes: counter(
      'sluice_assembler_outcomes_total',
      'Uploads announced on intake.uploads, by outcome: completed, failed, aborted, expired',
      ['outcome'],
    ),
    completedBytes: counter(
      'sluice_assembler_completed_bytes_total',
      'Bytes of the uploads announced as completed',
    ),
    completionSeconds: histogram(
      'sluice_assembler_completion_seconds',
      'From AllPartsStored to the upload announced: completion, verification, read-back and event',
      [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
    ),
    partsRecorded: counter('sluice_assembler_parts_recorded_total', 'PartStored events recorded'),
    alreadyComplete: counter(
      'sluice_assembler_already_complete_total',
      'Completions that found the multipart upload gone and the object already in place (a retry after a crash)',
    ),
    lateEvents: counter(
      'sluice_assembler_late_events_total',
      'Events for uploads that already had their outcome (redeliveries, or work that lost a race with expiry)',
      ['event'],
    ),
    verifyFailures: counter(
      'sluice_assembler_verify_failures_total',
      'Objects that failed verification, by check: missing, size, crc64nvme, crc32c, crc32, etag, sha256',
      ['check'],
    ),
    sha256Bytes: counter(
      'sluice_assembler_sha256_read_bytes_total',
      'Bytes read back from the store for the whole-file SHA-256: on a readBack drive, or when the part-writer gave its hash up',
    ),
    sweeps: counter(
      'sluice_assembler_expiry_sweeps_total',
      'Expiry sweeps, by result: swept, not_leader (another instance holds the lease), failed',
      ['result'],
    ),
    sweepSeconds: histogram(
      'sluice_assembler_expiry_sweep_seconds',
      'Duration of one expiry sweep',
      [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
    ),
    orphans: counter(
      'sluice_assembler_orphans_total',
      'Multipart uploads the reconciler found with no upload behind them, by action: aborted, would_abort, gone',
      ['action'],
    ),
  };
}

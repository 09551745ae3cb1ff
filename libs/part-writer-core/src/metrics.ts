import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/** The `sluice_part_writer_*` metrics. */
export interface PartWriterMetrics {
  /** Parts written and announced; `kind` is `part` (UploadPart) or `single` (PutObject). */
  readonly partsStored: Counter<'kind'>;
  readonly bytesStored: Counter;
  /** Time of one UploadPart or PutObject call that succeeded. */
  readonly uploadSeconds: Histogram<'kind'>;
  /** Time to read one part's bytes from Redis. */
  readonly readSeconds: Histogram;
  readonly partsInFlight: Gauge;
  readonly partRetries: Counter<'code'>;
  /** Uploads finished by the part-writer: `all_parts_stored`, `failed`, `aborted`. */
  readonly uploads: Counter<'outcome'>;
  /** Staged bytes subtracted from ingest's counter after their parts were stored. */
  readonly bytesReleased: Counter;
  /** Uploads announced without a content hash, by why the running hash was given up. */
  readonly hashesGivenUp: Counter<'reason'>;
  /** Uploads loaded with parts stored whose hash went on from its checkpoint. */
  readonly hashesResumed: Counter;
  /** Uploads with state held in this process. */
  readonly uploadsActive: Gauge;
}

/** Registers the part-writer's metrics once per registry. */
export function partWriterMetrics(registry: Registry): PartWriterMetrics {
  const get = <T>(name: string, make: () => T): T =>
    (registry.getSingleMetric(name) as T | undefined) ?? make();
  const registers = [registry];
  return {
    partsStored: get(
      'sluice_part_writer_parts_stored_total',
      () =>
        new Counter({
          name: 'sluice_part_writer_parts_stored_total',
          help: 'Parts written to the store and announced with PartStored',
          labelNames: ['kind'],
          registers,
        }),
    ),
    bytesStored: get(
      'sluice_part_writer_stored_bytes_total',
      () =>
        new Counter({
          name: 'sluice_part_writer_stored_bytes_total',
          help: 'Bytes written to the store in stored parts',
          registers,
        }),
    ),
    uploadSeconds: get(
      'sluice_part_writer_part_upload_seconds',
      () =>
        new Histogram({
          name: 'sluice_part_writer_part_upload_seconds',
          help: 'Duration of one successful UploadPart or PutObject',
          labelNames: ['kind'],
          buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
          registers,
        }),
    ),
    readSeconds: get(
      'sluice_part_writer_part_read_seconds',
      () =>
        new Histogram({
          name: 'sluice_part_writer_part_read_seconds',
          help: "Duration of reading one part's bytes from the staging Redis",
          buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
          registers,
        }),
    ),
    partsInFlight: get(
      'sluice_part_writer_parts_in_flight',
      () =>
        new Gauge({
          name: 'sluice_part_writer_parts_in_flight',
          help: 'Parts being read or uploaded right now',
          registers,
        }),
    ),
    partRetries: get(
      'sluice_part_writer_part_retries_total',
      () =>
        new Counter({
          name: 'sluice_part_writer_part_retries_total',
          help: 'Part writes tried again after a retriable failure, by error code',
          labelNames: ['code'],
          registers,
        }),
    ),
    uploads: get(
      'sluice_part_writer_uploads_total',
      () =>
        new Counter({
          name: 'sluice_part_writer_uploads_total',
          help: 'Uploads the part-writer finished, by outcome',
          labelNames: ['outcome'],
          registers,
        }),
    ),
    bytesReleased: get(
      'sluice_part_writer_released_bytes_total',
      () =>
        new Counter({
          name: 'sluice_part_writer_released_bytes_total',
          help: "Staged bytes deleted from Redis and subtracted from ingest's per-upload counter",
          registers,
        }),
    ),
    hashesGivenUp: get(
      'sluice_part_writer_hashes_given_up_total',
      () =>
        new Counter({
          name: 'sluice_part_writer_hashes_given_up_total',
          help:
            'Uploads announced without a whole-file SHA-256, by why the running hash was given up ' +
            '(reloaded, reordered, rewritten, incomplete); the assembler reads each of them back',
          labelNames: ['reason'],
          registers,
        }),
    ),
    hashesResumed: get(
      'sluice_part_writer_hashes_resumed_total',
      () =>
        new Counter({
          name: 'sluice_part_writer_hashes_resumed_total',
          help:
            'Uploads loaded with parts already stored (after a crash or a rebalance) whose whole-file ' +
            'SHA-256 went on from the checkpoint saved in Redis',
          registers,
        }),
    ),
    uploadsActive: get(
      'sluice_part_writer_uploads_active',
      () =>
        new Gauge({
          name: 'sluice_part_writer_uploads_active',
          help: 'Uploads whose state this process holds in memory',
          registers,
        }),
    ),
  };
}

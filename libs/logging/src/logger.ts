import { logCorrelation } from '@sluice/telemetry';
import { pino, type DestinationStream, type Level, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /** The app or component writing the log, as the `service` field. */
  readonly service: string;
  /** Minimum level. @default 'info' */
  readonly level?: Level | 'silent';
  /** Where lines go. @default standard output */
  readonly destination?: DestinationStream;
}

/**
 * Field paths whose values are replaced before a line is written. Credentials must never
 * reach a log, even when a whole config or request object is logged by mistake.
 */
export const REDACTED_PATHS: readonly string[] = [
  'authorization',
  '*.authorization',
  'apiKey',
  '*.apiKey',
  'password',
  '*.password',
  'secretAccessKey',
  '*.secretAccessKey',
  '*.credentials',
  'credentials',
  'headers.authorization',
  'metadata.authorization',
];

/**
 * JSON lines on pino: `time` as ISO, `level` as a label, secrets redacted, and `trace_id` and
 * `span_id` on every line written inside a span, so a line leads to its upload's trace.
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { service: options.service },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
      mixin: logCorrelation,
    },
    options.destination,
  );
}

/** The correlation fields every line about one upload carries. */
export interface UploadFields {
  readonly upload_id: string;
  readonly node_id?: string | undefined;
  readonly tenant?: string | undefined;
}

/** A child logger whose every line names the upload (and node) it is about. */
export function forUpload(logger: Logger, fields: UploadFields): Logger {
  const bindings: Record<string, string> = { upload_id: fields.upload_id };
  if (fields.node_id) bindings['node_id'] = fields.node_id;
  if (fields.tenant) bindings['tenant'] = fields.tenant;
  return logger.child(bindings);
}

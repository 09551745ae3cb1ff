/**
 * Rows ↔ SQL: the column list of each table and the conversions, in one place so the
 * writer, the reader and the rebuild comparison agree, on MySQL and PostgreSQL alike.
 * Values are written as strings the server parses the same whatever the connection's time
 * zone (times as UTC text, 64-bit integers as decimal); MySQL's are read with the options
 * in {@link READ_OPTIONS}, PostgreSQL's with node-pg's own parsers (timestamptz to Date,
 * numeric and bigint to decimal text), and {@link fromSql} takes either.
 */
import type { ChunkRow, PartRow, UploadRow } from './rows.ts';

/**
 * What a column holds: `int` a 32-bit unsigned number, `bigint` a 64-bit unsigned one,
 * `time` an instant with milliseconds; `?` allows null.
 */
export type Kind = 'text' | 'text?' | 'int' | 'int?' | 'bigint' | 'bigint?' | 'time' | 'time?';

/** A table's columns: row property, SQL column, kind. */
export type Columns<R> = readonly (readonly [keyof R & string, string, Kind])[];

/** A table the store writes whole rows of: its name, columns and primary key. */
export interface Table<R> {
  readonly name: string;
  readonly columns: Columns<R>;
  /** Primary key columns, in key order. */
  readonly key: readonly string[];
}

export const UPLOAD_COLUMNS: Columns<UploadRow> = [
  ['uploadId', 'upload_id', 'text'],
  ['tenant', 'tenant', 'text'],
  ['drive', 'drive', 'text'],
  ['nodeId', 'node_id', 'text'],
  ['status', 'status', 'text'],
  ['statusRank', 'status_rank', 'int'],
  ['statusEventId', 'status_event_id', 'text'],
  ['statusAt', 'status_at', 'time'],
  ['filename', 'filename', 'text?'],
  ['mimeType', 'mime_type', 'text?'],
  ['metadata', 'metadata', 'text?'],
  ['sizeHint', 'size_hint', 'bigint?'],
  ['fixedChunkSize', 'fixed_chunk_size', 'bigint?'],
  ['endpoint', 'endpoint', 'text?'],
  ['region', 'region', 'text?'],
  ['bucket', 'bucket', 'text?'],
  ['objectKey', 'object_key', 'text?'],
  ['checksumMode', 'checksum_mode', 'text?'],
  ['partSizeKind', 'part_size_kind', 'text?'],
  ['partSize', 'part_size', 'bigint?'],
  ['multipartUploadId', 'multipart_upload_id', 'text?'],
  ['etag', 'etag', 'text?'],
  ['versionId', 'version_id', 'text?'],
  ['totalChunks', 'total_chunks', 'int?'],
  ['chunksStaged', 'chunks_staged', 'int'],
  ['bytesStaged', 'bytes_staged', 'bigint'],
  ['partsStored', 'parts_stored', 'int'],
  ['bytesStored', 'bytes_stored', 'bigint'],
  ['partCount', 'part_count', 'int?'],
  ['sizeBytes', 'size_bytes', 'bigint?'],
  ['crc64nvme', 'crc64nvme', 'bigint?'],
  ['crc32c', 'crc32c', 'int?'],
  ['crc32', 'crc32', 'int?'],
  ['sha256', 'sha256', 'text?'],
  ['errorCode', 'error_code', 'text?'],
  ['errorMessage', 'error_message', 'text?'],
  ['s3Code', 's3_code', 'text?'],
  ['reason', 'reason', 'text?'],
  ['createdAt', 'created_at', 'time'],
  ['updatedAt', 'updated_at', 'time'],
  ['initiatedAt', 'initiated_at', 'time?'],
  ['firstChunkAt', 'first_chunk_at', 'time?'],
  ['sealedAt', 'sealed_at', 'time?'],
  ['storedAt', 'stored_at', 'time?'],
  ['completedAt', 'completed_at', 'time?'],
  ['abortRequestedAt', 'abort_requested_at', 'time?'],
];

export const CHUNK_COLUMNS: Columns<ChunkRow> = [
  ['uploadId', 'upload_id', 'text'],
  ['chunkNumber', 'chunk_number', 'int'],
  ['size', 'size', 'bigint'],
  ['byteOffset', 'byte_offset', 'bigint?'],
  ['sha256', 'sha256', 'text'],
  ['crc64nvme', 'crc64nvme', 'bigint'],
  ['crc32c', 'crc32c', 'int'],
  ['crc32', 'crc32', 'int'],
  ['generation', 'generation', 'int'],
  ['eventId', 'event_id', 'text'],
  ['stagedAt', 'staged_at', 'time'],
];

export const PART_COLUMNS: Columns<PartRow> = [
  ['uploadId', 'upload_id', 'text'],
  ['partNumber', 'part_number', 'int'],
  ['byteStart', 'byte_start', 'bigint'],
  ['byteEnd', 'byte_end', 'bigint'],
  ['etag', 'etag', 'text'],
  ['crc64nvme', 'crc64nvme', 'bigint'],
  ['crc32c', 'crc32c', 'int'],
  ['crc32', 'crc32', 'int'],
  ['firstChunk', 'first_chunk', 'int'],
  ['lastChunk', 'last_chunk', 'int'],
  ['eventId', 'event_id', 'text'],
  ['storedAt', 'stored_at', 'time'],
];

export const UPLOADS: Table<UploadRow> = { name: 'uploads', columns: UPLOAD_COLUMNS, key: ['upload_id'] };
export const CHUNKS: Table<ChunkRow> = {
  name: 'chunks',
  columns: CHUNK_COLUMNS,
  key: ['upload_id', 'chunk_number'],
};
export const PARTS: Table<PartRow> = {
  name: 'parts',
  columns: PART_COLUMNS,
  key: ['upload_id', 'part_number'],
};

/** Per-query options under which {@link fromSql} reads exactly what was written. */
export const READ_OPTIONS = Object.freeze({
  timezone: 'Z',
  supportBigNumbers: true,
  bigNumberStrings: true,
  dateStrings: false,
});

/** `2026-11-28 22:41:07.123`: a UTC DATETIME(3) literal. */
export function sqlTime(d: Date): string {
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

/** `2026-11-28T22:41:07.123Z`: a TIMESTAMPTZ literal, the same instant in any session time zone. */
export function pgTime(d: Date): string {
  return d.toISOString();
}

/**
 * The row's values in column order, ready for `VALUES ?`.
 * @param time how times are written. @default {@link sqlTime} (MySQL's DATETIME)
 */
export function toSql<R>(
  columns: Columns<R>,
  row: R,
  time: (d: Date) => string = sqlTime,
): (string | number | null)[] {
  return columns.map(([prop, , kind]) => {
    const v = row[prop] as unknown;
    if (v === null || v === undefined) return null;
    if (kind === 'time' || kind === 'time?') return time(v as Date);
    if (kind === 'bigint' || kind === 'bigint?') return (v as bigint).toString();
    return v as string | number;
  });
}

/** The row of a result: MySQL's read with {@link READ_OPTIONS}, or PostgreSQL's. */
export function fromSql<R>(columns: Columns<R>, r: Readonly<Record<string, unknown>>): R {
  const row: Record<string, unknown> = {};
  for (const [prop, column, kind] of columns) {
    const v: unknown = r[column];
    if (v === null || v === undefined) {
      row[prop] = null;
      continue;
    }
    switch (kind) {
      case 'bigint':
      case 'bigint?':
        row[prop] = BigInt(v as string | number);
        break;
      case 'int':
      case 'int?':
        row[prop] = Number(v);
        break;
      case 'time':
      case 'time?':
        row[prop] = v instanceof Date ? v : new Date(`${v as string}Z`);
        break;
      default:
        row[prop] = Buffer.isBuffer(v) ? v.toString('utf8') : v;
    }
  }
  return row as R;
}

/** `col_a, col_b, …` of a table. */
export function columnList<R>(columns: Columns<R>): string {
  return columns.map(([, c]) => c).join(', ');
}

/** `col = VALUES(col), …` for every column but the key ones (VALUES() is what both MariaDB and MySQL 8 accept). */
export function updateList<R>(columns: Columns<R>, keys: readonly string[]): string {
  return columns
    .filter(([, c]) => !keys.includes(c))
    .map(([, c]) => `${c} = VALUES(${c})`)
    .join(', ');
}

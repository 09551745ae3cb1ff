/**
 * Rows ↔ SQL: the column list of each table and the conversions, in one place so the
 * writer, the reader and the rebuild comparison agree. Values are written as strings the
 * server parses the same whatever the connection's time zone (times as UTC text, 64-bit
 * integers as decimal), and read with the options in {@link READ_OPTIONS}.
 */
import type { RowDataPacket } from 'mysql2/promise';
import type { ChunkRow, PartRow, UploadRow } from './rows.ts';

type Kind = 'text' | 'text?' | 'int' | 'int?' | 'bigint' | 'bigint?' | 'time' | 'time?';

/** A table's columns: row property, SQL column, kind. */
export type Columns<R> = readonly (readonly [keyof R & string, string, Kind])[];

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

/** The row's values in column order, ready for `VALUES ?`. */
export function toSql<R>(columns: Columns<R>, row: R): (string | number | null)[] {
  return columns.map(([prop, , kind]) => {
    const v = row[prop] as unknown;
    if (v === null || v === undefined) return null;
    if (kind === 'time' || kind === 'time?') return sqlTime(v as Date);
    if (kind === 'bigint' || kind === 'bigint?') return (v as bigint).toString();
    return v as string | number;
  });
}

/** The row of a result read with {@link READ_OPTIONS}. */
export function fromSql<R>(columns: Columns<R>, r: RowDataPacket): R {
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

/**
 * Public door of @sluice/projection: upload state in MySQL, projected from the three topics.
 *
 * - Domain (pure, no I/O): `toProjectionEvent` checks and flattens a decoded envelope,
 *   `applyEvent` folds it into rows so the result does not depend on the order or the number
 *   of copies of the events, `MemoryProjection` holds rows in memory.
 * - MySQL adapter: `migrate` (versioned .sql files under a GET_LOCK), `MysqlProjectionStore`
 *   (a batch and its offsets in one transaction), `UploadQueries` (the read side: by id, and
 *   keyset-paged lists), `compareProjections` (for rebuilds).
 */
export { canonicalMetadata, clip, LIMITS, toProjectionEvent } from './events.ts';
export type { EventHead, ProjectionEvent, ProjectionEventKind, SourceTopic } from './events.ts';
export { applyEvent } from './fold.ts';
export type { ProjectionState } from './fold.ts';
export { MemoryProjection } from './memory-projection.ts';
export { placeholderUpload, rowKey } from './rows.ts';
export type { ChunkRow, PartRow, UploadRow } from './rows.ts';
export {
  isUploadStatus,
  STATUS_RANK,
  TERMINAL_STATUSES,
  UPLOAD_STATUSES,
  uploadStatusFromNumber,
  uploadStatusNumber,
} from './status.ts';
export type { UploadStatusName } from './status.ts';
export { syntheticUpload } from './synthetic.ts';
export type {
  SyntheticEvent,
  SyntheticFacts,
  SyntheticOutcome,
  SyntheticUploadOptions,
} from './synthetic.ts';
export { toUploadJson, toUploadState, toUploadView } from './upload-view.ts';
export type { UploadView } from './upload-view.ts';

export { compareProjections } from './compare.ts';
export type { CompareOptions, Comparison, Queryable, RowDifference } from './compare.ts';
export { loadMigrations, migrate, MIGRATIONS_DIR, statementsOf } from './migrator.ts';
export type { MigrateOptions, MigrateResult, Migration } from './migrator.ts';
export { databaseError, isConflict, isDataError } from './mysql-errors.ts';
export { MysqlProjectionStore } from './mysql-projection-store.ts';
export { readProjection } from './read-projection.ts';
export type {
  ApplyResult,
  PartitionPosition,
  ProjectionRecord,
  ProjectionStoreOptions,
  RecordPosition,
  Rejection,
} from './mysql-projection-store.ts';
export {
  decodePageToken,
  DEFAULT_PAGE_SIZE,
  encodePageToken,
  MAX_PAGE_SIZE,
  UploadQueries,
} from './upload-queries.ts';
export type { GetUploadOptions, ListUploadsQuery, UploadPage } from './upload-queries.ts';
export {
  CHUNK_COLUMNS,
  PART_COLUMNS,
  READ_OPTIONS,
  UPLOAD_COLUMNS,
  fromSql,
  sqlTime,
  toSql,
} from './sql-rows.ts';
export type { Columns } from './sql-rows.ts';

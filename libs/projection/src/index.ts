/**
 * Public door of @sluice/projection: upload state in MySQL/MariaDB or PostgreSQL, projected
 * from the three topics.
 *
 * - Domain (pure, no I/O): `toProjectionEvent` checks and flattens a decoded envelope,
 *   `applyEvent` folds it into rows so the result does not depend on the order or the number
 *   of copies of the events, `MemoryProjection` holds rows in memory.
 * - Storage, the same on both databases: `ProjectionStore` (a batch and its offsets in one
 *   transaction; the algorithm is `SqlProjectionStore`'s, each database brings only its SQL),
 *   `UploadReader` (the read side: by id, and keyset-paged lists), the migration contract
 *   (versioned .sql files per database, append-only, under a lock).
 * - `openProjectionDatabase(url)` picks the database by scheme and hands out all three.
 * - Rebuilds, on either database: `openSnapshot` holds one still, `compareProjections`
 *   compares two row by row through a `ComparisonReader` of each.
 * - MySQL adapter: `MysqlProjectionStore`, `UploadQueries`, `migrate` (GET_LOCK).
 * - PostgreSQL adapter: `PostgresProjectionStore`, `PostgresUploadQueries`,
 *   `migratePostgres` (pg_advisory_lock, a transaction per file).
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

export { SqlProjectionStore } from './projection-store.ts';
export type {
  ApplyResult,
  PartitionKey,
  PartitionPosition,
  ProjectionRecord,
  ProjectionStore,
  RecordPosition,
  Rejection,
  RejectionRow,
  RowKey,
  SqlProjectionStoreOptions,
  StoreBackend,
  StoreTransaction,
} from './projection-store.ts';
export {
  decodePageToken,
  DEFAULT_PAGE_SIZE,
  encodePageToken,
  MAX_PAGE_SIZE,
  SqlUploadReader,
} from './upload-queries.ts';
export type {
  GetUploadOptions,
  ListUploadsQuery,
  ReadBackend,
  Select,
  UploadPage,
  UploadReader,
} from './upload-queries.ts';
export {
  applyPending,
  loadMigrations,
  MIGRATIONS_DIR,
  POSTGRES_MIGRATIONS_DIR,
  statementsOf,
} from './migrator.ts';
export type { MigrateOptions, MigrateResult, Migration, MigrationSession } from './migrator.ts';
export { openProjectionDatabase } from './projection-database.ts';
export type { ProjectionDatabase, ProjectionDatabaseOptions } from './projection-database.ts';
export { readPostgresProjection, readProjection } from './read-projection.ts';
export {
  compareProjections,
  comparisonReader,
  mysqlComparisonReader,
  openSnapshot,
  postgresComparisonReader,
} from './compare.ts';
export type {
  CompareOptions,
  Comparison,
  ComparisonReader,
  PostgresQueryable,
  ProjectionSnapshot,
  Queryable,
  RowDifference,
} from './compare.ts';

export { migrate } from './mysql-migrator.ts';
export { databaseError, isConflict, isDataError } from './mysql-errors.ts';
export { MysqlProjectionStore } from './mysql-projection-store.ts';
export type { ProjectionStoreOptions } from './mysql-projection-store.ts';
export { UploadQueries } from './mysql-upload-queries.ts';
export type { UploadQueriesOptions } from './mysql-upload-queries.ts';

export { migratePostgres } from './postgres-migrator.ts';
export { isPostgresConflict, isPostgresDataError, postgresError, sqlState } from './postgres-errors.ts';
export { PostgresProjectionStore } from './postgres-projection-store.ts';
export type { PostgresProjectionStoreOptions } from './postgres-projection-store.ts';
export { PostgresUploadQueries } from './postgres-upload-queries.ts';
export type { PostgresUploadQueriesOptions } from './postgres-upload-queries.ts';

export {
  CHUNK_COLUMNS,
  CHUNKS,
  PART_COLUMNS,
  PARTS,
  READ_OPTIONS,
  UPLOAD_COLUMNS,
  UPLOADS,
  fromSql,
  pgTime,
  sqlTime,
  toSql,
} from './sql-rows.ts';
export type { Columns, Kind, Table } from './sql-rows.ts';

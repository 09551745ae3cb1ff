export { S3Clients } from './clients.ts';
export type { S3ClientsOptions } from './clients.ts';
export { s3ErrorCode, storageError } from './errors.ts';
export { quoteEtag, unquoteEtag } from './etag.ts';
export { MemoryObjectStore } from './memory-object-store.ts';
export type { MemoryObjectStoreOptions } from './memory-object-store.ts';
export type {
  BodyCrcs,
  ChecksumAlgorithm,
  CompleteResult,
  FullObjectChecksum,
  ListedMultipartUpload,
  ListedPart,
  MoveRequest,
  MultipartRef,
  ObjectBody,
  ObjectHead,
  ObjectStore,
  ObjectStores,
  ObjectTarget,
  ObjectVersionRef,
  PartToComplete,
} from './object-store.ts';
export { checksumFields, checksumOfBytes } from './s3-fields.ts';
export { S3ObjectStore, objectStoresOf } from './s3-object-store.ts';
export type { S3ObjectStoreOptions } from './s3-object-store.ts';
export { checkDrive, driveCheckExitCode, scratchPrefix } from './drive-check.ts';
export type {
  CurrentSettingsFailure,
  DriveCheckOptions,
  DriveCheckReport,
  Reachability,
} from './drive-check.ts';
export {
  FEATURES,
  FEATURE_TITLES,
  SETTINGS,
  checksumModeOn,
  currentSettings,
  driveSettings,
  formatOutcome,
  parseStoreReport,
  settingDifferences,
} from './drive-findings.ts';
export type {
  DriveSettings,
  Feature,
  Outcome,
  Setting,
  SettingDifference,
  StoreReport,
} from './drive-findings.ts';
export { errorCode, etagFormat, probeStore } from './drive-probe.ts';
export type { ProbeOptions } from './drive-probe.ts';

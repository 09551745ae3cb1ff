export { REDACTED_PATHS, createLogger, forUpload } from './logger.ts';
export type { Logger, LoggerOptions, UploadFields } from './logger.ts';

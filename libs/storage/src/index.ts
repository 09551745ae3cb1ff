export { S3Clients } from './clients.ts';
export type { S3ClientsOptions } from './clients.ts';
export { s3ErrorCode, storageError } from './errors.ts';

export { DEFAULT_KEY_TEMPLATE, TenantsFileError, hashKey, objectKey, parseTenants } from './tenants.ts';
export type { Drive, ResolveContext, S3Credentials, TenantLimits, Tenants } from './tenants.ts';

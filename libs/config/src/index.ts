export {
  commonAppEnv,
  kafkaEnv,
  mysqlEnv,
  parseEnvOrExit,
  projectionDatabaseUrl,
  redisEnv,
  tenantsEnv,
} from './app-env.ts';
export { ConfigError, env, parseEnv } from './env.ts';
export type { EnvField, EnvIssue, EnvSchema, EnvValues } from './env.ts';
export * from './services.ts';

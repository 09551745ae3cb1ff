/**
 * Test helpers for node:test. Integration tests call `requireServices` first, then ask
 * the factories for what they need; each factory registers its own cleanup with `t.after`
 * and hands back names no other test uses.
 */
export {
  jaegerOtlpUrl,
  kafkaBrokers,
  portFromEnv,
  s3Settings,
  serviceEndpoint,
  serviceUrl,
  type Env,
  type S3Settings,
  type ServiceEndpoint,
} from './endpoints.ts';
export {
  checkService,
  checkServices,
  requireServices,
  type CheckOptions,
  type ServiceHealth,
} from './health.ts';
export {
  createTopic,
  deleteEventTopics,
  eventTopicPrefix,
  kafkaAdmin,
  type CreateTopicOptions,
} from './kafka.ts';
export { advertisedWindows, type AdvertisedWindows } from './http2.ts';
export { freePort } from './ports.ts';
export { createDatabase, type TestDatabase } from './mysql.ts';
export { createPostgresDatabase, type TestPostgresDatabase } from './postgres.ts';
export { uniqueName, type AfterHook } from './names.ts';
export { SeededRandom } from './seeded-random.ts';
export { startPipeline, type Pipeline, type PipelineOptions } from './pipeline.ts';
export {
  createRedisPrefix,
  deleteKeys,
  launchRedisServer,
  redisClient,
  redisMemoryInfo,
  scanKeys,
  startRedisServer,
  type RedisPrefix,
} from './redis.ts';
export {
  S3_STORE_REPORT_ENV,
  createBucket,
  emptyBucket,
  emptyBucketEach,
  s3Client,
  type TestBucket,
} from './s3.ts';
export {
  DASHBOARD_DIR,
  dashboardQueries,
  queriedMetrics,
  withGrafanaVariables,
  type DashboardQuery,
} from './dashboards.ts';
export { killProcess, stopProcess, waitForReady, type WaitForReadyOptions } from './processes.ts';
export { makeTlsFiles, writeTlsFiles, type TlsFiles } from './tls.ts';
export { createLink, ToxicLink, type Toxic } from './toxiproxy.ts';

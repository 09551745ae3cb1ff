/**
 * The local infrastructure as a library, for scripts that start services in-process
 * (the test runner, `npm start`, the benchmark). `cli.ts` is a thin shell over these.
 */
export {
  DRIVERS,
  ensureUp,
  getStatus,
  localEnv,
  resetServices,
  serviceEnv,
  stopServices,
  type InfraOptions,
  type ServiceState,
  type UpOptions,
} from './orchestrator.ts';
export {
  clusterNodes,
  kafkaClusterBrokers,
  redisClusterNodes,
  type ClusterNodes,
  type KafkaClusterBroker,
  type RedisClusterNode,
} from './cluster.ts';
export { infraPaths, type InfraPaths, type ServicePaths } from './paths.ts';
export { isRunning, readPidFile, type PidRecord } from './processes.ts';
export { prometheusConfig, APPS_JOB, SCRAPE_INTERVAL } from './services/prometheus.ts';
export { VERSIONS } from './versions.ts';

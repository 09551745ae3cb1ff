/**
 * The one catalogue of the outside services Sluice talks to: their names, default
 * ports on 127.0.0.1, and the environment variables that point an app (or the local
 * infrastructure) at them. `infra/local`, the apps' config defaults and
 * `infra/compose/docker-compose.yml` all follow this table; a test checks they agree.
 */
export interface ServiceSpec {
  /** Short name used by `npm run infra -- status` and in logs. */
  readonly name: ServiceName;
  /** Human name for messages. */
  readonly title: string;
  /** Default TCP port on 127.0.0.1. */
  readonly port: number;
  /** Variable that moves the port `infra/local` binds to. */
  readonly portEnv: string;
  /** Variable an app reads to reach the service. */
  readonly urlEnv: string;
  /** The value of `urlEnv` for a service on `host:port`. */
  readonly url: (host: string, port: number) => string;
  /**
   * Started only when named (`npm run infra -- up jaeger`), not by a bare `up`: nothing in
   * `npm test` needs it, and its first build takes minutes. (Jaeger for traces; Toxiproxy for
   * `npm run test:faults` and the benchmark's shaped S3 link; the extra S3 servers for the S3
   * compatibility matrix, `infra/local/s3-matrix.sh`.)
   */
  readonly optional?: boolean;
  /**
   * How many processes serve the service, on consecutive ports from `port` (a cluster's nodes
   * or brokers). `url` names the first few as seeds; clients learn the rest from them.
   * @default 1
   */
  readonly nodes?: number;
  /** The profile that adds this optional service to the default ones (`up --profile <name>`). */
  readonly profile?: ServiceProfile;
}

export const SERVICE_NAMES = [
  'kafka',
  'apicurio',
  's3',
  'redis',
  'mysql',
  'postgres',
  'prometheus',
  'jaeger',
  'toxiproxy',
  'redis-cluster',
  'kafka-cluster',
  's3-moto',
  's3proxy',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/**
 * Named sets of optional services that `npm run infra -- up --profile <name>` adds to the
 * default ones (and `docker compose --profile <name>` starts). `cluster`: the multi-node Redis
 * and Kafka, for tests of failover, replication and a lost broker.
 */
export const SERVICE_PROFILES = ['cluster'] as const;
export type ServiceProfile = (typeof SERVICE_PROFILES)[number];

/** Credentials and names the local services are provisioned with. Development only. */
export const LOCAL_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  s3AccessKey: 'sluice-local',
  s3SecretKey: 'sluice-local-secret',
  s3Region: 'us-east-1',
  s3Bucket: 'sluice',
  mysqlUser: 'sluice',
  mysqlPassword: 'sluice',
  mysqlDatabase: 'sluice',
  postgresUser: 'sluice',
  postgresPassword: 'sluice',
  postgresDatabase: 'sluice',
  kafkaControllerPort: 19093,
  /** The local Kafka's TLS listener (server certificate only), and its mutual-TLS one. */
  kafkaTlsPort: 19094,
  kafkaMtlsPort: 19095,
  /** Where the local Jaeger takes OTLP over HTTP (its query API is on the catalogue's port). */
  jaegerOtlpPort: 14318,
});

/** Variable that moves the port of the local Jaeger's OTLP/HTTP receiver. */
export const JAEGER_OTLP_PORT_ENV = 'SLUICE_JAEGER_OTLP_PORT';

/**
 * Variables that carry the S3 settings an app needs beside `SLUICE_S3_ENDPOINT`.
 * `npm run infra -- env` prints them with the LOCAL_DEFAULTS values.
 */
export const S3_ENV = Object.freeze({
  accessKey: 'SLUICE_S3_ACCESS_KEY',
  secretKey: 'SLUICE_S3_SECRET_KEY',
  bucket: 'SLUICE_S3_BUCKET',
  region: 'SLUICE_S3_REGION',
});

/**
 * How far above a cluster broker's port its KRaft controller listens: the local Kafka cluster's
 * brokers are on 19192–19194 and their controllers on 19292–19294.
 */
export const KAFKA_CLUSTER_CONTROLLER_OFFSET = 100;
/** How many of the local Redis Cluster's nodes are masters; each other node replicates one. */
export const REDIS_CLUSTER_MASTERS = 3;

/** Variable that moves the port of the local Kafka's KRaft controller listener. */
export const KAFKA_CONTROLLER_PORT_ENV = 'SLUICE_KAFKA_CONTROLLER_PORT';
/** Variables that move the local Kafka's TLS and mutual-TLS listeners. */
export const KAFKA_TLS_PORT_ENV = 'SLUICE_KAFKA_TLS_PORT';
export const KAFKA_MTLS_PORT_ENV = 'SLUICE_KAFKA_MTLS_PORT';

export const SERVICES: Readonly<Record<ServiceName, ServiceSpec>> = Object.freeze({
  kafka: {
    name: 'kafka',
    title: 'Kafka (KRaft)',
    port: 19092,
    portEnv: 'SLUICE_KAFKA_PORT',
    urlEnv: 'SLUICE_KAFKA_BROKERS',
    url: (host, port) => `${host}:${port}`,
  },
  apicurio: {
    name: 'apicurio',
    title: 'Apicurio Registry',
    port: 18080,
    portEnv: 'SLUICE_APICURIO_PORT',
    urlEnv: 'SLUICE_REGISTRY_URL',
    url: (host, port) => `http://${host}:${port}/apis/registry/v3`,
  },
  s3: {
    name: 's3',
    title: 'S3 server (versitygw)',
    port: 17070,
    portEnv: 'SLUICE_S3_PORT',
    urlEnv: 'SLUICE_S3_ENDPOINT',
    url: (host, port) => `http://${host}:${port}`,
  },
  redis: {
    name: 'redis',
    title: 'Redis',
    port: 16379,
    portEnv: 'SLUICE_REDIS_PORT',
    urlEnv: 'SLUICE_REDIS_URL',
    url: (host, port) => `redis://${host}:${port}`,
  },
  mysql: {
    name: 'mysql',
    title: 'MariaDB',
    port: 13306,
    portEnv: 'SLUICE_MYSQL_PORT',
    urlEnv: 'SLUICE_MYSQL_URL',
    url: (host, port) =>
      `mysql://${LOCAL_DEFAULTS.mysqlUser}:${LOCAL_DEFAULTS.mysqlPassword}@${host}:${port}/${LOCAL_DEFAULTS.mysqlDatabase}`,
  },
  postgres: {
    name: 'postgres',
    title: 'PostgreSQL',
    port: 15432,
    portEnv: 'SLUICE_POSTGRES_PORT',
    urlEnv: 'SLUICE_POSTGRES_URL',
    url: (host, port) =>
      `postgres://${LOCAL_DEFAULTS.postgresUser}:${LOCAL_DEFAULTS.postgresPassword}@${host}:${port}/${LOCAL_DEFAULTS.postgresDatabase}`,
  },
  prometheus: {
    name: 'prometheus',
    title: 'Prometheus',
    port: 19090,
    portEnv: 'SLUICE_PROMETHEUS_PORT',
    urlEnv: 'SLUICE_PROMETHEUS_URL',
    url: (host, port) => `http://${host}:${port}`,
  },
  jaeger: {
    name: 'jaeger',
    title: 'Jaeger',
    port: 16686,
    portEnv: 'SLUICE_JAEGER_PORT',
    urlEnv: 'SLUICE_JAEGER_URL',
    url: (host, port) => `http://${host}:${port}`,
    optional: true,
  },
  toxiproxy: {
    name: 'toxiproxy',
    title: 'Toxiproxy',
    port: 18474,
    portEnv: 'SLUICE_TOXIPROXY_PORT',
    urlEnv: 'SLUICE_TOXIPROXY_URL',
    url: (host, port) => `http://${host}:${port}`,
    optional: true,
  },
  'redis-cluster': {
    name: 'redis-cluster',
    title: 'Redis Cluster (3 masters, 3 replicas)',
    port: 17001,
    portEnv: 'SLUICE_REDIS_CLUSTER_PORT',
    urlEnv: 'SLUICE_REDIS_CLUSTER_URL',
    // The first three nodes (the masters, as created) as seeds; apps parse the form
    // `redis+cluster://[user:pass@]host:port,host:port,...`.
    url: (host, port) => `redis+cluster://${seeds(host, port, 3).join(',')}`,
    optional: true,
    nodes: 6,
    profile: 'cluster',
  },
  'kafka-cluster': {
    name: 'kafka-cluster',
    title: 'Kafka cluster (3 KRaft brokers)',
    port: 19192,
    portEnv: 'SLUICE_KAFKA_CLUSTER_PORT',
    urlEnv: 'SLUICE_KAFKA_CLUSTER_BROKERS',
    url: (host, port) => seeds(host, port, 3).join(','),
    optional: true,
    nodes: 3,
    profile: 'cluster',
  },
  // The S3 compatibility matrix's other stores, beside versitygw (`s3`): each answers S3 with
  // the LOCAL_DEFAULTS keys and holds the `sluice` bucket.
  's3-moto': {
    name: 's3-moto',
    title: 'S3 server (moto)',
    port: 17071,
    portEnv: 'SLUICE_S3_MOTO_PORT',
    urlEnv: 'SLUICE_S3_MOTO_ENDPOINT',
    url: (host, port) => `http://${host}:${port}`,
    optional: true,
  },
  s3proxy: {
    name: 's3proxy',
    title: 'S3 server (s3proxy, filesystem)',
    port: 17072,
    portEnv: 'SLUICE_S3PROXY_PORT',
    urlEnv: 'SLUICE_S3PROXY_ENDPOINT',
    url: (host, port) => `http://${host}:${port}`,
    optional: true,
  },
});

/** The services a bare `npm run infra -- up` starts: every one but the optional ones. */
export const DEFAULT_SERVICE_NAMES: readonly ServiceName[] = SERVICE_NAMES.filter(
  (name) => SERVICES[name].optional !== true,
);

/**
 * The services `npm run infra -- up --profile <name>` starts: the default ones and the
 * optional ones of that profile.
 */
export function profileServiceNames(profile: ServiceProfile): readonly ServiceName[] {
  return SERVICE_NAMES.filter(
    (name) => SERVICES[name].optional !== true || SERVICES[name].profile === profile,
  );
}

/** The apps and the ports their HTTP (and, for ingest-api, gRPC) servers listen on. */
export const APPS = Object.freeze({
  'ingest-api': {
    httpPort: 18081,
    httpPortEnv: 'SLUICE_INGEST_HTTP_PORT',
    grpcPort: 50051,
    grpcPortEnv: 'SLUICE_INGEST_PORT',
  },
  'part-writer': { httpPort: 18082, httpPortEnv: 'SLUICE_PART_WRITER_HTTP_PORT' },
  assembler: { httpPort: 18083, httpPortEnv: 'SLUICE_ASSEMBLER_HTTP_PORT' },
  projector: { httpPort: 18084, httpPortEnv: 'SLUICE_PROJECTOR_HTTP_PORT' },
} as const);
export type AppName = keyof typeof APPS;

/** The default URL of a service, as an app sees it when nothing overrides it. */
export function defaultServiceUrl(name: ServiceName): string {
  const spec = SERVICES[name];
  return spec.url(LOCAL_DEFAULTS.host, spec.port);
}

function seeds(host: string, port: number, count: number): string[] {
  return Array.from({ length: count }, (_, i) => `${host}:${port + i}`);
}

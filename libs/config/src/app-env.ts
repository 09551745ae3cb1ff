import { ConfigError, env, parseEnv, type EnvField, type EnvSchema, type EnvValues } from './env.ts';
import { APPS, defaultServiceUrl, type AppName } from './services.ts';

/** Variables every app reads: log level, the HTTP bind address and its port. */
export function commonAppEnv<A extends AppName>(app: A) {
  const port = { [APPS[app].httpPortEnv]: env.port(APPS[app].httpPort) } as Record<
    (typeof APPS)[A]['httpPortEnv'],
    EnvField<number>
  >;
  return {
    SLUICE_LOG_LEVEL: env.oneOf(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], 'info'),
    SLUICE_HTTP_HOST: env.string('127.0.0.1'),
    ...port,
  };
}

/**
 * `parseEnv` for an app's entry point: on a bad value it prints every problem to
 * standard error and exits with status 2, before anything has started.
 */
export function parseEnvOrExit<S extends EnvSchema>(
  app: string,
  schema: S,
  source: Readonly<Record<string, string | undefined>>,
): EnvValues<S> {
  try {
    return parseEnv(schema, source);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${app}: ${err.message}\n`);
    process.exit(2);
  }
}

/** Kafka and the schema registry, for apps that produce or consume events. */
export function kafkaEnv() {
  return {
    SLUICE_KAFKA_BROKERS: env.hostPorts([defaultServiceUrl('kafka')]),
    SLUICE_REGISTRY_URL: env.url(['http:', 'https:'], defaultServiceUrl('apicurio')),
    /** Prepended to the three topic names, e.g. for a test or a second deployment on one cluster. */
    SLUICE_TOPIC_PREFIX: env.string(''),
    /** Partitions of each topic when Sluice creates it. */
    SLUICE_KAFKA_PARTITIONS: env.int(6, 1, 10_000),
    SLUICE_KAFKA_REPLICATION: env.int(1, 1, 16),
    /** `true`: TLS to the brokers, trusting the system's CAs. Implied by SLUICE_KAFKA_TLS_CA. */
    SLUICE_KAFKA_TLS: env.bool(false),
    /** PEM CA that signed the brokers' certificates: set, every connection is TLS and verified. */
    SLUICE_KAFKA_TLS_CA: env.file(''),
    /** A client certificate and its key, for brokers that require them (ssl.client.auth=required). */
    SLUICE_KAFKA_TLS_CERT: env.file(''),
    SLUICE_KAFKA_TLS_KEY: env.file(''),
  };
}

/** The staging Redis. */
export function redisEnv() {
  return {
    /** One Redis (redis://, rediss://) or a Redis Cluster's seed nodes (redis+cluster://h:p,h:p,…). */
    SLUICE_REDIS_URL: env.redisUrl(defaultServiceUrl('redis')),
    /** With rediss://: the PEM CA that signed the server's certificate (the system's CAs when unset). */
    SLUICE_REDIS_TLS_CA: env.file(''),
    /** With rediss://: a client certificate and its key, for a Redis that asks for one. */
    SLUICE_REDIS_TLS_CERT: env.file(''),
    SLUICE_REDIS_TLS_KEY: env.file(''),
    /** First part of every staging key, to share one Redis between deployments. */
    SLUICE_REDIS_NAMESPACE: env.string('sluice'),
  };
}

/**
 * The projection's database: MySQL or MariaDB (the default), or PostgreSQL, chosen by the URL's
 * scheme. `SLUICE_DATABASE_URL` names either; `SLUICE_MYSQL_URL`, the older name, is read when it
 * is unset ({@link projectionDatabaseUrl}).
 */
export function mysqlEnv() {
  return {
    SLUICE_DATABASE_URL: env.url(['mysql:', 'postgres:', 'postgresql:'], ''),
    SLUICE_MYSQL_URL: env.url(['mysql:'], defaultServiceUrl('mysql')),
    /** PEM CA that signed the database's certificate: set, the connection is TLS and verified. */
    SLUICE_MYSQL_TLS_CA: env.file(''),
    /** A client certificate and its key, for a database that requires them. */
    SLUICE_MYSQL_TLS_CERT: env.file(''),
    SLUICE_MYSQL_TLS_KEY: env.file(''),
  };
}

/** The projection database's URL: `SLUICE_DATABASE_URL`, else `SLUICE_MYSQL_URL`. */
export function projectionDatabaseUrl(config: {
  readonly SLUICE_DATABASE_URL: string;
  readonly SLUICE_MYSQL_URL: string;
}): string {
  return config.SLUICE_DATABASE_URL || config.SLUICE_MYSQL_URL;
}

/** The tenants file: API keys and drives (see libs/tenants). */
export function tenantsEnv() {
  return { SLUICE_TENANTS_FILE: env.string() };
}

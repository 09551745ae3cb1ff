/**
 * Where each service is, as tests and the local infrastructure see it: the catalogue's
 * defaults, moved by the service's `portEnv`, and overridden whole by its `urlEnv`
 * (which is what an app reads, so a test pointed elsewhere follows the same variable).
 */
import { JAEGER_OTLP_PORT_ENV, LOCAL_DEFAULTS, S3_ENV, SERVICES, type ServiceName } from '@sluice/config';

/** Environment to read variables from; `process.env` unless a caller passes its own. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Host, port and URL of one service. */
export interface ServiceEndpoint {
  readonly name: ServiceName;
  readonly host: string;
  readonly port: number;
  /** The value an app would read from the service's `urlEnv`. */
  readonly url: string;
}

/**
 * Reads a TCP port from `env[name]`, or returns `fallback` when it is unset.
 * @throws Error naming the variable when its value is not a port number.
 */
export function portFromEnv(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${name}=${raw} is not a TCP port: set it to a number from 1 to 65535, or unset it`);
  }
  return port;
}

/**
 * The endpoint of a service: `urlEnv` when set, otherwise the catalogue default on
 * 127.0.0.1 with the port moved by `portEnv`.
 */
export function serviceEndpoint(name: ServiceName, env: Env = process.env): ServiceEndpoint {
  const spec = SERVICES[name];
  const override = env[spec.urlEnv];
  if (override !== undefined && override !== '') {
    const { host, port } = hostPortOf(name, override);
    return { name, host, port, url: override };
  }
  const host = LOCAL_DEFAULTS.host;
  const port = portFromEnv(env, spec.portEnv, spec.port);
  return { name, host, port, url: spec.url(host, port) };
}

/** The value of a service's `urlEnv`, from the environment or the catalogue default. */
export function serviceUrl(name: ServiceName, env: Env = process.env): string {
  return serviceEndpoint(name, env).url;
}

/** Where the local Jaeger takes OTLP over HTTP: the value for `OTEL_EXPORTER_OTLP_ENDPOINT`. */
export function jaegerOtlpUrl(env: Env = process.env): string {
  return `http://${LOCAL_DEFAULTS.host}:${portFromEnv(env, JAEGER_OTLP_PORT_ENV, LOCAL_DEFAULTS.jaegerOtlpPort)}`;
}

/** Kafka bootstrap brokers as `host:port` strings: the local Kafka's, or the local cluster's. */
export function kafkaBrokers(env: Env = process.env, service: 'kafka' | 'kafka-cluster' = 'kafka'): string[] {
  return serviceUrl(service, env)
    .split(',')
    .map((broker) => broker.trim())
    .filter((broker) => broker !== '');
}

/** Everything an S3 client needs to reach the local (or configured) S3 server. */
export interface S3Settings {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** The bucket `npm run infra -- up` creates. Tests make their own with `createBucket`. */
  readonly bucket: string;
}

/** S3 settings from `SLUICE_S3_*` variables, with LOCAL_DEFAULTS for what is unset. */
export function s3Settings(env: Env = process.env): S3Settings {
  return {
    endpoint: serviceUrl('s3', env),
    region: env[S3_ENV.region] || LOCAL_DEFAULTS.s3Region,
    accessKeyId: env[S3_ENV.accessKey] || LOCAL_DEFAULTS.s3AccessKey,
    secretAccessKey: env[S3_ENV.secretKey] || LOCAL_DEFAULTS.s3SecretKey,
    bucket: env[S3_ENV.bucket] || LOCAL_DEFAULTS.s3Bucket,
  };
}

function hostPortOf(name: ServiceName, url: string): { host: string; port: number } {
  const spec = SERVICES[name];
  // Kafka's value is a broker list without a scheme; the others are URLs.
  const first = url.split(',')[0]?.trim() ?? '';
  const parsed = URL.parse(first.includes('://') ? first : `tcp://${first}`);
  const defaultPort = parsed?.protocol === 'https:' ? 443 : parsed?.protocol === 'http:' ? 80 : 0;
  const port = parsed?.port ? Number(parsed.port) : defaultPort;
  if (parsed === null || parsed.hostname === '' || !Number.isInteger(port) || port === 0) {
    throw new Error(
      `${spec.urlEnv}=${url} has no host and port: use the form ${spec.url(LOCAL_DEFAULTS.host, spec.port)}`,
    );
  }
  return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port };
}

import { ConfigError, env, parseEnv, type EnvField, type EnvSchema, type EnvValues } from './env.ts';
import { APPS, type AppName } from './services.ts';

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

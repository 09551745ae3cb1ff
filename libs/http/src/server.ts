import { SluiceError, toSluiceError } from '@sluice/errors';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';

/** One readiness check: a name and a probe that resolves when the dependency answers. */
export interface ReadinessCheck {
  readonly name: string;
  readonly probe: (signal: AbortSignal) => Promise<void>;
}

/** What the readiness checks found; `/readyz` answers it, gRPC health follows it. */
export interface Readiness {
  readonly ready: boolean;
  readonly checks: readonly { readonly name: string; readonly ok: boolean; readonly error?: string }[];
}

/** Runs every check at once, each within `timeoutMs`. */
export async function checkReadiness(
  checks: readonly ReadinessCheck[],
  timeoutMs = 2000,
): Promise<Readiness> {
  const results = await Promise.all(
    checks.map(async (check) => {
      try {
        await check.probe(AbortSignal.timeout(timeoutMs));
        return { name: check.name, ok: true };
      } catch (err) {
        return { name: check.name, ok: false, error: err instanceof Error ? err.message : String(err) };
      }
    }),
  );
  return { ready: results.every((r) => r.ok), checks: results };
}

/** Options for {@link buildHttpServer}. */
export interface HttpServerOptions {
  /** The app's logger; requests are logged at debug. */
  readonly logger: Logger;
  /** The registry `/metrics` exposes. */
  readonly registry: Registry;
  /** What `/readyz` checks. @default [] (ready as soon as the server listens) */
  readonly readiness?: readonly ReadinessCheck[];
  /** How long one readiness probe may take. @default 2000 */
  readonly readinessTimeoutMs?: number;
}

/**
 * The HTTP server every app runs: `/healthz` (the process is alive), `/readyz` (its
 * dependencies answer), `/metrics` (Prometheus text), and one error handler that turns
 * every `SluiceError` into its catalogue HTTP status with `{code, message}`. Apps add
 * their own routes before `listen`. Built without a socket so tests use `inject()`.
 */
export function buildHttpServer(options: HttpServerOptions): FastifyInstance {
  const app = Fastify({
    // pino's Logger and fastify's FastifyBaseLogger differ only in generics pino fills in.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: options.logger.child({ component: 'http' }) as FastifyBaseLogger,
    // Per-request lines would drown the app's own; errors are logged by the handler below.
    logController: new LogController({ disableRequestLogging: true }),
  });
  const checks = options.readiness ?? [];
  const timeoutMs = options.readinessTimeoutMs ?? 2000;

  app.get('/healthz', () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    const { ready, checks: results } = await checkReadiness(checks, timeoutMs);
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks: results });
  });

  app.get('/metrics', async (_req, reply) => {
    const body = await options.registry.metrics();
    return reply.type(options.registry.contentType).send(body);
  });

  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({
      code: 'ROUTE_NOT_FOUND',
      message: `no route ${req.method} ${req.url}; see /healthz, /readyz, /metrics`,
    }),
  );

  app.setErrorHandler((err, req, reply) => {
    // fastify's own validation and parsing errors carry a 4xx statusCode of their own.
    const own = (err as { statusCode?: unknown }).statusCode;
    if (!(err instanceof SluiceError) && typeof own === 'number' && own >= 400 && own < 500) {
      return reply.code(own).send({ code: 'INVALID_ARGUMENT', message: (err as Error).message });
    }
    const e = toSluiceError(err);
    if (e.httpStatus >= 500) req.log.error({ err }, 'request failed');
    return reply.code(e.httpStatus).send(e.toJSON());
  });

  return app;
}

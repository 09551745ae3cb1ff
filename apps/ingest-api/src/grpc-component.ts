import { ServerCredentials, type Server } from '@grpc/grpc-js';

/** How the gRPC server stops. */
export interface GrpcStopOptions {
  /** Called first: stop taking work (health NOT_SERVING, open watches ended). */
  readonly drain?: () => void;
  /**
   * How long the server keeps answering after `drain`, so load balancers and probes see
   * NOT_SERVING before connections are refused. @default 0
   */
  readonly delayMs?: number;
  /** How long calls in flight may take to finish before they are cut. @default 20000 */
  readonly graceMs?: number;
}

/**
 * Wraps the gRPC server as a lifecycle component. `close` drains: it stops taking work, lets
 * the calls in flight finish within the grace period, then cuts what is left.
 */
export function grpcComponent(
  server: Server,
  listen: { host: string; port: number; credentials?: ServerCredentials },
  stop: GrpcStopOptions = {},
) {
  return {
    name: 'grpc',
    start: () =>
      new Promise<void>((resolve, reject) => {
        server.bindAsync(
          `${listen.host}:${listen.port}`,
          listen.credentials ?? ServerCredentials.createInsecure(),
          (err) => (err ? reject(err) : resolve()),
        );
      }),
    close: async () => {
      stop.drain?.();
      if (stop.delayMs) await new Promise((r) => setTimeout(r, stop.delayMs));
      await new Promise<void>((resolve) => {
        const cut = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, stop.graceMs ?? 20_000);
        server.tryShutdown(() => {
          clearTimeout(cut);
          resolve();
        });
      });
    },
  };
}

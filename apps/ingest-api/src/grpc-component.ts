import { ServerCredentials, type Server } from '@grpc/grpc-js';

/** Wraps the gRPC server as a lifecycle component: `close` lets in-flight calls finish. */
export function grpcComponent(server: Server, listen: { host: string; port: number }) {
  return {
    name: 'grpc',
    start: () =>
      new Promise<void>((resolve, reject) => {
        server.bindAsync(`${listen.host}:${listen.port}`, ServerCredentials.createInsecure(), (err) =>
          err ? reject(err) : resolve(),
        );
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
      }),
  };
}

/**
 * The tus peer: `@tus/server` with `@tus/s3-store` on loopback, writing to the same S3 server
 * and bucket Sluice uses, run as a child process so it has its own event loop and its CPU can
 * be read from /proc like the Sluice apps':
 *   node bench/src/lib/tus-server.ts <port> <partSizeBytes> <keyPrefix> [<s3 endpoint>]
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { S3Store } from '@tus/s3-store';
import { Server } from '@tus/server';
import { s3Settings } from '@sluice/testing';

const port = Number(process.argv[2] ?? 0);
const partSize = Number(process.argv[3] ?? 8 * 1024 * 1024);
const prefix = process.argv[4] ?? 'bench-tus/';
const s3 = s3Settings();
const endpoint = process.argv[5] ?? s3.endpoint;
const tus = new Server({
  path: '/files',
  namingFunction: () => `${prefix}${randomUUID()}`,
  generateUrl: (_req, { proto, host, path, id }) =>
    `${proto}://${host}${path}/${Buffer.from(id).toString('base64url')}`,
  getFileIdFromRequest: (_req, lastPath) =>
    lastPath ? Buffer.from(lastPath, 'base64url').toString() : undefined,
  datastore: new S3Store({
    partSize,
    s3ClientConfig: {
      bucket: s3.bucket,
      endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    },
  }),
});
const server = createServer((req, res) => void tus.handle(req, res)).listen(port, '127.0.0.1', () =>
  process.stdout.write(`listening ${port}\n`),
);
process.on('SIGTERM', () => server.close(() => process.exit(0)));

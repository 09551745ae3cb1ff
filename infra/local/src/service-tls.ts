/**
 * The TLS files of a local service that serves TLS (MariaDB, Kafka): a CA of its own and a
 * certificate for 127.0.0.1 it signed, plus a client certificate, in `<service dir>/tls/`.
 * Made once, valid for ten years, so clients can be tested over TLS and mutual TLS.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeTlsFiles, type TlsFiles } from '@sluice/testing';

/** Where the service keeps its TLS files: `ca.pem` signs `server.pem` and `client.pem`. */
export function serviceTlsFiles(serviceDir: string): TlsFiles {
  const dir = join(serviceDir, 'tls');
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client.key'),
  };
}

/** The service's TLS files, made first when missing. */
export function ensureServiceTls(serviceDir: string, name: string): TlsFiles {
  const files = serviceTlsFiles(serviceDir);
  if (!existsSync(files.ca)) {
    mkdirSync(files.dir, { recursive: true });
    writeTlsFiles(files.dir, name, 3650);
  }
  return files;
}

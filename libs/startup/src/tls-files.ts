/**
 * The client side of TLS to a backing service (Redis, MySQL, Kafka), from one set of
 * variables `<PREFIX>_TLS_CA`, `_CERT` and `_KEY`: the CA that signed the server's certificate,
 * and a client certificate with its key for a server that asks for one (mutual TLS). Half a
 * pair is refused with the variable to set.
 */
import { readFileSync } from 'node:fs';

/** What was configured, read from the files. */
export interface ClientTlsFiles {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/**
 * Reads the files that `ca`, `cert` and `key` name (empty: not set). `prefix` names the
 * variables in messages, e.g. `SLUICE_KAFKA`. @throws Error naming the variable to fix
 */
export function clientTlsFiles(
  prefix: string,
  paths: { ca: string; cert: string; key: string },
): ClientTlsFiles {
  const { ca, cert, key } = paths;
  if (Boolean(cert) !== Boolean(key)) {
    throw new Error(`${prefix}_TLS_${cert ? 'KEY' : 'CERT'} is not set: a client certificate needs its key`);
  }
  return {
    ...(ca ? { ca: readFileSync(ca) } : {}),
    ...(cert && key ? { cert: readFileSync(cert), key: readFileSync(key) } : {}),
  };
}

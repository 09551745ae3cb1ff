/**
 * TLS to the database, from `mysqlEnv()`: with SLUICE_MYSQL_TLS_CA set, every connection is
 * TLS and the server's certificate is verified against that CA; with SLUICE_MYSQL_TLS_CERT and
 * _KEY, a client certificate goes with it. Without them the URL alone decides (plaintext).
 */
import { readFileSync } from 'node:fs';

/** What mysql2 takes as its `ssl` option, as far as Sluice sets it. */
export interface MysqlSsl {
  readonly ca: Buffer;
  readonly rejectUnauthorized: boolean;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** The database TLS variables of `mysqlEnv()`. */
export interface MysqlTlsConfig {
  readonly SLUICE_MYSQL_TLS_CA: string;
  readonly SLUICE_MYSQL_TLS_CERT: string;
  readonly SLUICE_MYSQL_TLS_KEY: string;
}

/** mysql2's `ssl` option, or nothing for plaintext. @throws Error naming the variable to fix */
export function mysqlSsl(config: MysqlTlsConfig): { ssl?: MysqlSsl } {
  const { SLUICE_MYSQL_TLS_CA: ca, SLUICE_MYSQL_TLS_CERT: cert, SLUICE_MYSQL_TLS_KEY: key } = config;
  if (Boolean(cert) !== Boolean(key)) {
    throw new Error(
      `${cert ? 'SLUICE_MYSQL_TLS_KEY' : 'SLUICE_MYSQL_TLS_CERT'} is not set: a client certificate needs its key`,
    );
  }
  if (!ca) {
    if (cert)
      throw new Error('SLUICE_MYSQL_TLS_CERT is set without SLUICE_MYSQL_TLS_CA: set the CA to turn TLS on');
    return {};
  }
  return {
    ssl: {
      ca: readFileSync(ca),
      rejectUnauthorized: true,
      ...(cert && key ? { cert: readFileSync(cert), key: readFileSync(key) } : {}),
    },
  };
}

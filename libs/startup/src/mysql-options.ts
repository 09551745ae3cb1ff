/**
 * TLS to the database, from `mysqlEnv()`: with SLUICE_MYSQL_TLS_CA set, every connection is
 * TLS and the server's certificate is verified against that CA; with SLUICE_MYSQL_TLS_CERT and
 * _KEY, a client certificate goes with it. Without them the URL alone decides (plaintext).
 */
import { clientTlsFiles } from './tls-files.ts';

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
  const files = clientTlsFiles('SLUICE_MYSQL', {
    ca: config.SLUICE_MYSQL_TLS_CA,
    cert: config.SLUICE_MYSQL_TLS_CERT,
    key: config.SLUICE_MYSQL_TLS_KEY,
  });
  if (files.ca === undefined) {
    if (files.cert)
      throw new Error('SLUICE_MYSQL_TLS_CERT is set without SLUICE_MYSQL_TLS_CA: set the CA to turn TLS on');
    return {};
  }
  return { ssl: { ...files, ca: files.ca, rejectUnauthorized: true } };
}

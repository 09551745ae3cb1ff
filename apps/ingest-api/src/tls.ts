/**
 * TLS for the gRPC server, from PEM files: the certificate chain and key, and optionally a CA
 * whose certificates clients must present (mTLS). The files are read again every `reloadMs`,
 * so a renewed certificate is served to new connections without a restart (grpc-js's
 * certificate providers); connections already open keep the one they started with.
 */
import { experimental, ServerCredentials } from '@grpc/grpc-js';
import { InvalidArgumentError } from '@sluice/errors';

export interface ServerTlsFiles {
  /** PEM certificate chain; '' for plaintext. */
  readonly certFile: string;
  /** PEM private key of the certificate. */
  readonly keyFile: string;
  /** PEM CA bundle; when set, every client must present a certificate it signed. */
  readonly clientCaFile: string;
  readonly reloadMs: number;
}

/** Plaintext without files; TLS with a certificate and key; mTLS with a client CA as well. */
export function serverCredentials(files: ServerTlsFiles): ServerCredentials {
  const { certFile, keyFile, clientCaFile } = files;
  if (!certFile && !keyFile) {
    if (clientCaFile) throw tlsConfigError('SLUICE_INGEST_TLS_CLIENT_CA is set without a server certificate');
    return ServerCredentials.createInsecure();
  }
  if (!certFile || !keyFile) {
    throw tlsConfigError(
      `${certFile ? 'SLUICE_INGEST_TLS_KEY' : 'SLUICE_INGEST_TLS_CERT'} is not set: TLS needs both the certificate and its key`,
    );
  }
  const identity = new experimental.FileWatcherCertificateProvider({
    certificateFile: certFile,
    privateKeyFile: keyFile,
    refreshIntervalMs: files.reloadMs,
  });
  const clientCa = clientCaFile
    ? new experimental.FileWatcherCertificateProvider({
        caCertificateFile: clientCaFile,
        refreshIntervalMs: files.reloadMs,
      })
    : null;
  // grpc-js takes the server's own certificate first, then the CA that checks clients.
  return experimental.createCertificateProviderServerCredentials(identity, clientCa, clientCa !== null);
}

function tlsConfigError(what: string): InvalidArgumentError {
  return new InvalidArgumentError(
    `${what}: set SLUICE_INGEST_TLS_CERT and SLUICE_INGEST_TLS_KEY (and SLUICE_INGEST_TLS_CLIENT_CA for mTLS), or none`,
  );
}

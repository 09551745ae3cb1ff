/**
 * Real certificates for TLS tests, made at test time with openssl: a CA, a server certificate
 * for 127.0.0.1 and localhost, and a client certificate, all signed by that CA and valid for a
 * day. Every call makes a new CA, so two calls give certificates that do not trust each other.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AfterHook } from './names.ts';

/** PEM files of one CA and what it signed. */
export interface TlsFiles {
  readonly dir: string;
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** Makes a CA and a server and a client certificate in a folder removed after the test. */
export function makeTlsFiles(t: AfterHook, name = 'sluice-test'): TlsFiles {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-tls-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return writeTlsFiles(dir, name);
}

/** Makes a CA and a server and a client certificate in `dir`, which must exist. */
export function writeTlsFiles(dir: string, name: string, days = 1): TlsFiles {
  const at = (file: string): string => join(dir, file);
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    ...EC,
    '-keyout',
    at('ca.key'),
    '-out',
    at('ca.pem'),
    '-days',
    String(days),
    '-subj',
    `/CN=${name} CA`,
  );
  const sign = (who: 'server' | 'client', extensions: string): void => {
    writeFileSync(at(`${who}.ext`), extensions);
    openssl(
      'req',
      ...EC,
      '-keyout',
      at(`${who}.key`),
      '-out',
      at(`${who}.csr`),
      '-subj',
      `/CN=${name} ${who}`,
    );
    openssl(
      'x509',
      '-req',
      '-in',
      at(`${who}.csr`),
      '-CA',
      at('ca.pem'),
      '-CAkey',
      at('ca.key'),
      '-CAcreateserial',
      '-out',
      at(`${who}.pem`),
      '-days',
      String(days),
      '-extfile',
      at(`${who}.ext`),
    );
  };
  sign('server', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
  sign('client', 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    ca: at('ca.pem'),
    serverCert: at('server.pem'),
    serverKey: at('server.key'),
    clientCert: at('client.pem'),
    clientKey: at('client.key'),
  };
}

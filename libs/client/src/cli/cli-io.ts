import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import { UnauthenticatedError, type SluiceError } from '@sluice/errors';
import { SluiceClient } from '../sluice-client.ts';
import type { Connection, TlsFiles } from './args.ts';
import { exitCodeOf, hintFor, UsageError } from './exit-codes.ts';
import type { Output } from './progress-display.ts';

/** What a command reads and writes; `main.ts` passes the process's, tests their own. */
export interface CliIo {
  readonly stdout: Output;
  readonly stderr: Output;
  readonly stdin: Readable;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Fires on Ctrl-C. */
  readonly signal: AbortSignal;
}

/** A client for the command line's server and key. */
export function clientFor(connection: Connection): SluiceClient {
  if (!connection.apiKey) {
    throw new UnauthenticatedError('no API key: pass it with --api-key or set SLUICE_API_KEY');
  }
  return new SluiceClient({
    server: connection.server,
    apiKey: connection.apiKey,
    tls: connection.tls && tlsMaterial(connection.tls),
    connectTimeoutMs: connection.connectTimeoutMs,
  });
}

function tlsMaterial(files: TlsFiles): { rootCerts?: Buffer; certChain?: Buffer; privateKey?: Buffer } {
  const read = (flag: string, path: string | undefined): Buffer | undefined => {
    if (!path) return undefined;
    try {
      return readFileSync(path);
    } catch (err) {
      throw new UsageError(`cannot read ${flag} ${path}: ${(err as Error).message}`);
    }
  };
  const rootCerts = read('--tls-ca', files.ca);
  const certChain = read('--tls-cert', files.cert);
  const privateKey = read('--tls-key', files.key);
  return {
    ...(rootCerts ? { rootCerts } : {}),
    ...(certChain ? { certChain } : {}),
    ...(privateKey ? { privateKey } : {}),
  };
}

/** Prints a failure (`sluice: <message>` and what to do) and returns its exit status. */
export function report(
  io: CliIo,
  err: SluiceError,
  connection: Pick<Connection, 'server'>,
  prefix = '',
): number {
  const hint = hintFor(err, connection);
  io.stderr.write(`sluice: ${prefix}${err.message}${hint ? `\n  (${hint})` : ''}\n`);
  return exitCodeOf(err);
}

/** One JSON object per line, keys as given. */
export function printJson(out: Output, value: unknown): void {
  out.write(`${JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))}\n`);
}

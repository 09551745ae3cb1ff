import { parseArgs } from 'node:util';
import { env } from '@sluice/config';
import { DEFAULT_SERVER } from '../sluice-client.ts';
import { UPLOAD_DEFAULTS } from '../uploader.ts';
import { EXIT, UsageError } from './exit-codes.ts';

type OptionSpec = {
  readonly type: 'string' | 'boolean';
  readonly short?: string;
  readonly multiple?: boolean;
};

/** Options every command takes. */
const COMMON = {
  server: { type: 'string' },
  'api-key': { type: 'string' },
  tls: { type: 'boolean' },
  'tls-ca': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'connect-timeout': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies Record<string, OptionSpec>;

const COMMANDS = {
  upload: {
    args: '<file...>',
    summary: 'upload files (`-` reads standard input)',
    options: {
      drive: { type: 'string', short: 'd' },
      'chunk-size': { type: 'string' },
      concurrency: { type: 'string' },
      'node-id': { type: 'string' },
      'mime-type': { type: 'string' },
      meta: { type: 'string', multiple: true },
      wait: { type: 'boolean' },
      'no-resume': { type: 'boolean' },
    },
  },
  status: { args: '<upload-id>', summary: "print an upload's state", options: {} },
  watch: {
    args: '<upload-id>',
    summary: 'follow an upload until it completes, fails, is aborted or expires',
    options: {},
  },
  abort: { args: '<upload-id>', summary: 'abort an upload', options: { reason: { type: 'string' } } },
  ls: {
    args: '',
    summary: "list the tenant's uploads",
    options: { status: { type: 'string' }, drive: { type: 'string', short: 'd' }, limit: { type: 'string' } },
  },
} as const satisfies Record<string, { args: string; summary: string; options: Record<string, OptionSpec> }>;

export type CommandName = keyof typeof COMMANDS;

/**
 * TLS to the server: PEM files of the CA to trust (the system's roots when absent), and of the
 * client certificate and key for a server that asks for one (mTLS).
 */
export interface TlsFiles {
  readonly ca?: string | undefined;
  readonly cert?: string | undefined;
  readonly key?: string | undefined;
}

/** Settings every command shares, from flags first, then the environment. */
export interface Connection {
  readonly server: string;
  readonly apiKey: string | undefined;
  /** False for plaintext. */
  readonly tls: TlsFiles | false;
  readonly connectTimeoutMs: number;
  readonly json: boolean;
}

/** A parsed command line. */
export type Parsed =
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'version' }
  | {
      readonly kind: 'command';
      readonly command: CommandName;
      readonly connection: Connection;
      readonly values: Readonly<Record<string, string | boolean | string[] | undefined>>;
      readonly positionals: readonly string[];
    };

/** Parses argv (without `node` and the script); throws UsageError. */
export function parseCommandLine(
  argv: readonly string[],
  environment: Readonly<Record<string, string | undefined>>,
): Parsed {
  const [first, ...rest] = argv;
  if (first === undefined || first === 'help' || first === '--help' || first === '-h') {
    const topic = first === 'help' ? rest[0] : undefined;
    return { kind: 'help', text: topic && isCommand(topic) ? commandUsage(topic) : usage() };
  }
  if (first === '--version') return { kind: 'version' };
  if (!isCommand(first)) throw new UsageError(`unknown command "${first}"\n\n${usage()}`);
  const spec = COMMANDS[first];
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  const options: Record<string, OptionSpec> = { ...COMMON, ...spec.options };
  try {
    parsed = parseArgs({
      args: [...rest],
      options,
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${commandUsage(first)}`);
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (values.help) return { kind: 'help', text: commandUsage(first) };
  const timeout = values['connect-timeout'];
  const connectTimeoutMs = typeof timeout === 'string' ? parseDuration('--connect-timeout', timeout) : 10_000;
  return {
    kind: 'command',
    command: first,
    connection: {
      server: stringOr(values.server, environment.SLUICE_SERVER) ?? DEFAULT_SERVER,
      apiKey: stringOr(values['api-key'], environment.SLUICE_API_KEY),
      tls: tlsOf(values, environment),
      connectTimeoutMs,
      json: values.json === true,
    },
    values,
    positionals: parsed.positionals,
  };
}

/** TLS from `--tls`, `--tls-ca/-cert/-key` or SLUICE_TLS_CA/_CERT/_KEY; any of them turns it on. */
function tlsOf(
  values: Record<string, string | boolean | string[] | undefined>,
  environment: Readonly<Record<string, string | undefined>>,
): TlsFiles | false {
  const ca = stringOr(values['tls-ca'], environment.SLUICE_TLS_CA);
  const cert = stringOr(values['tls-cert'], environment.SLUICE_TLS_CERT);
  const key = stringOr(values['tls-key'], environment.SLUICE_TLS_KEY);
  if (Boolean(cert) !== Boolean(key)) {
    throw new UsageError(
      `${cert ? '--tls-key (SLUICE_TLS_KEY)' : '--tls-cert (SLUICE_TLS_CERT)'} is missing: a client certificate needs its key, and the key its certificate`,
    );
  }
  if (values.tls !== true && !ca && !cert) return false;
  return { ca, cert, key };
}

function isCommand(name: string): name is CommandName {
  return Object.hasOwn(COMMANDS, name);
}

function stringOr(flag: unknown, fallback: string | undefined): string | undefined {
  if (typeof flag === 'string' && flag !== '') return flag;
  return fallback === '' ? undefined : fallback;
}

/** A size such as `8MiB`, `512KiB` or a number of bytes. */
export function parseSize(flag: string, raw: string): number {
  const n = env.bytes().parse(raw.trim());
  if (n === undefined || n < 1)
    throw new UsageError(`${flag} ${raw} is not a size: write it like 8MiB, 512KiB or 1048576`);
  return n;
}

/** A whole number from `min` to `max`. */
export function parseCount(flag: string, raw: string, min: number, max: number): number {
  const n = env.int(undefined, min, max).parse(raw.trim());
  if (n === undefined) throw new UsageError(`${flag} ${raw} is not a whole number from ${min} to ${max}`);
  return n;
}

/** A duration such as `500ms`, `10s` or `2m`. */
export function parseDuration(flag: string, raw: string): number {
  const n = env.duration().parse(raw.trim());
  if (n === undefined || n < 1)
    throw new UsageError(`${flag} ${raw} is not a duration: write it like 500ms, 10s or 2m`);
  return n;
}

/** The one positional argument a command takes. */
export function onePositional(parsed: {
  readonly command: CommandName;
  readonly positionals: readonly string[];
}): string {
  const [only, ...extra] = parsed.positionals;
  if (!only || extra.length > 0) {
    throw new UsageError(
      `${parsed.command} takes exactly one ${COMMANDS[parsed.command].args}\n\n${commandUsage(parsed.command)}`,
    );
  }
  return only;
}

const COMMON_HELP = `Options of every command:
  --server HOST:PORT       the Sluice server (ingest-api) [SLUICE_SERVER, default ${DEFAULT_SERVER}]
  --api-key KEY            your API key [SLUICE_API_KEY]
  --tls                    connect with TLS, trusting the system's CAs
  --tls-ca FILE            connect with TLS, trusting this PEM CA [SLUICE_TLS_CA]
  --tls-cert FILE          client certificate (PEM) for a server that asks for one [SLUICE_TLS_CERT]
  --tls-key FILE           its private key (PEM) [SLUICE_TLS_KEY]
  --connect-timeout TIME   how long to wait for the server, e.g. 10s [default 10s]
  --json                   print JSON (one object per line) instead of text
  -h, --help               this help`;

const UPLOAD_HELP = `Options of upload:
  -d, --drive NAME         the drive to upload to (required)
  --chunk-size SIZE        bytes per chunk, e.g. 8MiB [default ${UPLOAD_DEFAULTS.chunkSize / 1024 / 1024}MiB]
  --concurrency N          chunks in flight at once, all files together [default ${UPLOAD_DEFAULTS.concurrency}]
  --node-id ID             the file's node id (one file only) [default: the server makes one]
  --mime-type TYPE         the content type to record
  --meta KEY=VALUE         metadata to record (repeat for more)
  --wait                   wait until each upload completes, fails or is aborted
  --no-resume              start new uploads even where an interrupted one could be resumed

An interrupted upload (Ctrl-C, a crash, a lost connection) is resumed by running the same
command again: only the chunks the server lacks are sent. What is needed for that is kept
in $SLUICE_CACHE/uploads (default ~/.cache/sluice/uploads) until the upload is sealed.`;

const EXIT_HELP = `Exit status:
  ${EXIT.OK} done; ${EXIT.FAILED} failed; ${EXIT.USAGE} bad command line; ${EXIT.UNAVAILABLE} server unreachable or unavailable;
  ${EXIT.AUTH} missing or refused API key; ${EXIT.NOT_FOUND} no such file, drive or upload; ${EXIT.ABORTED} upload aborted or expired;
  ${EXIT.INTERRUPTED} interrupted (Ctrl-C)`;

/** The top-level help. */
export function usage(): string {
  const commands = Object.entries(COMMANDS)
    .map(([name, c]) => `  ${`${name} ${c.args}`.padEnd(24)} ${c.summary}`)
    .join('\n');
  return `Usage: sluice <command> [options]

Commands:
${commands}
  ${'help <command>'.padEnd(24)} help on one command

${UPLOAD_HELP}

${COMMON_HELP}

${EXIT_HELP}
`;
}

/** Help on one command. */
export function commandUsage(command: CommandName): string {
  const c = COMMANDS[command];
  const own: Record<CommandName, string> = {
    upload: UPLOAD_HELP,
    status: '',
    watch: 'Exits when the upload reaches a final status: 0 completed, 1 failed, 6 aborted or expired.',
    abort: 'Options of abort:\n  --reason TEXT            why, recorded with the upload',
    ls: 'Options of ls:\n  --status STATUS          only uploads in this status (e.g. completed, failed)\n  -d, --drive NAME         only uploads to this drive\n  --limit N                at most N uploads [default 50]',
  };
  return [
    `Usage: sluice ${command} ${c.args} [options]\n\n${c.summary}`,
    own[command],
    COMMON_HELP,
    EXIT_HELP,
  ]
    .filter(Boolean)
    .join('\n\n')
    .concat('\n');
}

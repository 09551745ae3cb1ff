/**
 * Typed environment parsing that fails fast. An app declares its variables once as a
 * schema; `parseEnv` reads them, applies defaults, validates every value and returns a
 * frozen object, or throws a `ConfigError` naming each bad variable, the value it had
 * and the form it expected. Libraries never call this: they take typed options.
 */
import { accessSync, constants, statSync } from 'node:fs';

/** One variable: how to read it, and what to say when it is wrong. */
export interface EnvField<T> {
  /** The form a valid value takes, for error messages ("a TCP port, 1-65535"). */
  readonly expected: string;
  /** Value used when the variable is unset or empty; `undefined` makes it required. */
  readonly default: T | undefined;
  /** Parses the raw text; returns `undefined` when it is not of the expected form. */
  readonly parse: (raw: string) => T | undefined;
  /** Marks the value as secret: never echoed in errors or logs. */
  readonly secret: boolean;
}

export type EnvSchema = Readonly<Record<string, EnvField<unknown>>>;
export type EnvValues<S extends EnvSchema> = {
  readonly [K in keyof S]: S[K] extends EnvField<infer T> ? T : never;
};

/** One problem with one variable. */
export interface EnvIssue {
  readonly variable: string;
  readonly value: string | undefined;
  readonly expected: string;
}

/** Thrown by `parseEnv`; its message lists every bad variable on its own line. */
export class ConfigError extends Error {
  readonly issues: readonly EnvIssue[];
  constructor(issues: readonly EnvIssue[]) {
    super(
      `invalid configuration:\n${issues
        .map((i) =>
          i.value === undefined
            ? `  ${i.variable} is not set; expected ${i.expected}`
            : `  ${i.variable}=${i.value} is not valid; expected ${i.expected}`,
        )
        .join('\n')}`,
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Reads every variable of `schema` from `source`; throws `ConfigError` listing all that are wrong. */
export function parseEnv<S extends EnvSchema>(
  schema: S,
  source: Readonly<Record<string, string | undefined>>,
): EnvValues<S> {
  const out: Record<string, unknown> = {};
  const issues: EnvIssue[] = [];
  for (const [variable, field] of Object.entries(schema)) {
    const raw = source[variable]?.trim();
    if (raw === undefined || raw === '') {
      if (field.default === undefined) issues.push({ variable, value: undefined, expected: field.expected });
      else out[variable] = field.default;
      continue;
    }
    const value = field.parse(raw);
    if (value === undefined) {
      issues.push({
        variable,
        value: field.secret ? '<redacted>' : JSON.stringify(raw),
        expected: field.expected,
      });
    } else {
      out[variable] = value;
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return Object.freeze(out) as EnvValues<S>;
}

function field<T>(
  expected: string,
  parse: (raw: string) => T | undefined,
  def?: T,
  secret = false,
): EnvField<T> {
  return { expected, parse, default: def, secret };
}

const INT = /^-?\d+$/;
const UNITS: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};
const DURATIONS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Field builders. Each takes the default (omit it to make the variable required). */
export const env = {
  string: (def?: string) => field('a non-empty string', (raw) => raw, def),
  secret: (def?: string) => field('a non-empty secret', (raw) => raw, def, true),
  int: (def?: number, min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER) =>
    field(
      `an integer from ${min} to ${max}`,
      (raw) => {
        if (!INT.test(raw)) return undefined;
        const n = Number(raw);
        return n >= min && n <= max ? n : undefined;
      },
      def,
    ),
  port: (def?: number) =>
    field(
      'a TCP port, an integer from 0 to 65535',
      (raw) => {
        if (!INT.test(raw)) return undefined;
        const n = Number(raw);
        return n >= 0 && n <= 65535 ? n : undefined;
      },
      def,
    ),
  bool: (def?: boolean) =>
    field(
      'true or false',
      (raw) => {
        const v = raw.toLowerCase();
        if (['true', '1', 'yes', 'on'].includes(v)) return true;
        if (['false', '0', 'no', 'off'].includes(v)) return false;
        return undefined;
      },
      def,
    ),
  oneOf: <const T extends string>(values: readonly T[], def?: T) =>
    field(`one of ${values.join(', ')}`, (raw) => values.find((v) => v === raw), def),
  url: (protocols: readonly string[], def?: string) =>
    field(
      `a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
      (raw) => {
        try {
          return protocols.includes(new URL(raw).protocol) ? raw : undefined;
        } catch {
          return undefined;
        }
      },
      def,
    ),
  /**
   * A Redis server (`redis://`, `rediss://`) or a Redis Cluster given by seed nodes
   * (`redis+cluster://[user:password@]host:port,host:port,…`, `rediss+cluster://` over TLS).
   */
  redisUrl: (def?: string) =>
    field(
      'a URL starting with redis:// or rediss://, or redis+cluster://host:port,host:port,… (rediss+cluster:// for TLS)',
      (raw) => {
        if (/^rediss?\+cluster:\/\/([^@/]*@)?[^\s:,/@]+:\d{1,5}(,[^\s:,/@]+:\d{1,5})*\/?$/i.test(raw))
          return raw;
        try {
          return ['redis:', 'rediss:'].includes(new URL(raw).protocol) ? raw : undefined;
        } catch {
          return undefined;
        }
      },
      def,
    ),
  /** A comma-separated list of `host:port`. */
  hostPorts: (def?: readonly string[]) =>
    field(
      'a comma-separated list of host:port',
      (raw) => {
        const list = raw.split(',').map((s) => s.trim());
        return list.every((s) => /^[^\s:]+:\d{1,5}$/.test(s)) ? list : undefined;
      },
      def,
    ),
  /** A size such as `16MiB`, `512kb` or a plain number of bytes, from `min` to `max` bytes. */
  bytes: (def?: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
    field(
      min === 0 && max === Number.MAX_SAFE_INTEGER
        ? 'a size in bytes, such as 1048576, 16MiB or 2GB'
        : `a size in bytes from ${min} to ${max}, such as 1048576 or 16MiB`,
      (raw) => {
        const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(raw);
        const unit = UNITS[(m?.[2] ?? '').toLowerCase() || 'b'];
        if (!m || unit === undefined) return undefined;
        const n = Math.round(Number(m[1]) * unit);
        return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
      },
      def,
    ),
  /** The path of a file this process can read (checked at start, so a wrong path fails fast). */
  file: (def?: string) =>
    field('the path of a readable file', (raw) => (readable(raw) ? raw : undefined), def),
  /** A duration such as `500ms`, `30s`, `24h`; returns milliseconds. */
  duration: (def?: number) =>
    field(
      'a duration such as 500ms, 30s, 15m, 24h or 7d',
      (raw) => {
        const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(raw);
        const unit = DURATIONS[m?.[2] ?? ''];
        return m && unit !== undefined ? Math.round(Number(m[1]) * unit) : undefined;
      },
      def,
    ),
} as const;

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

import { connect, type Socket } from 'node:net';
import type { Redis } from 'ioredis';

/** One GET or GETRANGE whose value lands in `into`, which is exactly as long as the value must be. */
export interface SegmentRead {
  readonly key: string;
  /** GETRANGE from `start` to `start + into.length - 1`; undefined for GET of the whole value. */
  readonly start?: number;
  readonly into: Buffer;
}

/** Why a read gave no bytes: the value was missing or not of the length asked for. */
export class SegmentMissing extends Error {
  readonly key: string;
  constructor(key: string) {
    super(`segment ${key} is missing or shorter than asked`);
    this.key = key;
  }
}

/** Where the reader connects, and as whom: what ioredis was given for one plain-TCP server. */
export interface SegmentReaderTarget {
  readonly host: string;
  readonly port: number;
  readonly username?: string;
  readonly password?: string;
  readonly db?: number;
}

/** The reader's connection in CLIENT LIST. */
export const READER_NAME = 'sluice-segment-reader';
/** Reads this long or longer go from the socket straight into the caller's buffer. */
const DIRECT_BYTES = 16 * 1024;
/** Socket reads of headers and short values land here. */
const READ_BUFFER_BYTES = 64 * 1024;
/** A reply line longer than this is not one a GET or GETRANGE sends. */
const MAX_LINE = 64 * 1024;

interface Batch {
  left: number;
  missing: string | undefined;
  error: Error | undefined;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

/** A reply the connection waits for, in the order the commands went. */
type Expected =
  | { readonly kind: 'status' }
  | { readonly kind: 'value'; readonly key: string; readonly into: Buffer; readonly batch: Batch };

/**
 * Segment reads over a Redis connection of their own, each value written straight into the
 * caller's buffer. Through ioredis, every value read is first gathered from the socket's reads
 * (a new buffer per read) and copied into a buffer of the parser's pool, so a part's bytes
 * were copied once more and left twice their size in garbage for the collector. Here a value's
 * bytes go from the kernel into the part's own buffer, and the only other memory is one
 * 64 KiB buffer, reused, for reply headers.
 *
 * It speaks only GET and GETRANGE, after AUTH, SELECT and CLIENT SETNAME, to one server over
 * plain TCP. A connection that fails fails the reads on it, and the next read connects again;
 * the caller falls back to ioredis, whose reconnects and retries then apply as before.
 */
export class SegmentReader {
  readonly #target: SegmentReaderTarget;
  readonly #readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  #socket: Socket | undefined;
  #expected: Expected[] = [];
  #head = 0;
  #line = '';
  /** Bytes of the current value still to come; -1 while a reply line is awaited. */
  #valueLeft = -1;
  #valueAt = 0;
  #valueInto: Buffer | undefined;
  #trailerLeft = 0;
  /** The read whose value is coming in. */
  #current: Batch | undefined;
  #closed = false;

  constructor(target: SegmentReaderTarget) {
    this.#target = target;
  }

  /**
   * A reader for the server an ioredis client talks to, when it is one server over plain TCP
   * (not TLS, a cluster, Sentinel or a Unix socket); undefined otherwise.
   */
  static of(redis: Redis): SegmentReader | undefined {
    const o = redis.options;
    if (o.tls || o.sentinels || o.path || !o.host || !o.port) return undefined;
    return new SegmentReader({
      host: o.host,
      port: o.port,
      ...(o.username ? { username: o.username } : {}),
      ...(o.password ? { password: o.password } : {}),
      ...(o.db ? { db: o.db } : {}),
    });
  }

  /**
   * Sends the reads as one pipeline. Settles once every reply is in, so nothing writes into
   * the buffers after that, or once the connection is gone.
   * @throws SegmentMissing when a value was absent or of another length; any other Error when
   *   Redis refused a command or the connection failed
   */
  read(reads: readonly SegmentRead[]): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('the segment reader is closed'));
    if (reads.length === 0) return Promise.resolve();
    // Connected first: a new connection's handshake goes ahead of these commands.
    const socket = this.#connected();
    return new Promise<void>((resolve, reject) => {
      const batch: Batch = { left: reads.length, missing: undefined, error: undefined, resolve, reject };
      let commands = '';
      for (const r of reads) {
        commands +=
          r.start === undefined
            ? command('GET', r.key)
            : command('GETRANGE', r.key, String(r.start), String(r.start + r.into.length - 1));
        this.#expected.push({ kind: 'value', key: r.key, into: r.into, batch });
      }
      // Held open only while it waits for replies: an idle reader keeps no process alive.
      socket.ref();
      socket.write(commands);
    });
  }

  /** Closes the connection; reads still waiting fail. */
  close(): void {
    this.#closed = true;
    this.#fail(new Error('the segment reader was closed'));
  }

  #connected(): Socket {
    if (this.#socket) return this.#socket;
    const { host, port, username, password, db } = this.#target;
    const socket = connect({
      host,
      port,
      noDelay: true,
      onread: { buffer: () => this.#nextBuffer(), callback: (n, buf) => this.#received(n, buf) },
    });
    this.#socket = socket;
    socket.on('error', (err) => this.#fail(err, socket));
    socket.on('close', () =>
      this.#fail(new Error(`the connection to Redis at ${host}:${port} closed`), socket),
    );
    const handshake: string[] = [];
    if (password) handshake.push(username ? command('AUTH', username, password) : command('AUTH', password));
    if (db) handshake.push(command('SELECT', String(db)));
    // Named, so CLIENT LIST tells its connection from ioredis' ones.
    handshake.push(command('CLIENT', 'SETNAME', READER_NAME));
    socket.write(handshake.join(''));
    this.#expected.push(...handshake.map(() => STATUS));
    return socket;
  }

  /** Where the socket's next read goes: straight into the value being read, when enough of it is left. */
  #nextBuffer(): Buffer {
    const into = this.#valueInto;
    if (into && this.#valueLeft >= DIRECT_BYTES)
      return into.subarray(this.#valueAt, this.#valueAt + this.#valueLeft);
    return this.#readBuffer;
  }

  /** Takes a socket read; never pauses the socket. */
  #received(n: number, buf: Uint8Array): true {
    if (buf !== this.#readBuffer) {
      // Read straight into the value.
      this.#valueAt += n;
      this.#valueLeft -= n;
      if (this.#valueLeft === 0) this.#trailerLeft = 2;
      return true;
    }
    try {
      this.#parse(this.#readBuffer, n);
    } catch (err) {
      this.#fail(err as Error);
    }
    return true;
  }

  #parse(data: Buffer, length: number): void {
    let i = 0;
    while (i < length) {
      if (this.#valueLeft > 0) {
        const n = Math.min(this.#valueLeft, length - i);
        this.#valueInto?.set(data.subarray(i, i + n), this.#valueAt);
        this.#valueAt += n;
        this.#valueLeft -= n;
        i += n;
        if (this.#valueLeft === 0) this.#trailerLeft = 2;
        continue;
      }
      if (this.#trailerLeft > 0) {
        const n = Math.min(this.#trailerLeft, length - i);
        this.#trailerLeft -= n;
        i += n;
        if (this.#trailerLeft === 0) this.#valueDone();
        continue;
      }
      const nl = data.indexOf(10, i);
      if (nl === -1 || nl >= length) {
        this.#line += data.toString('latin1', i, length);
        if (this.#line.length > MAX_LINE)
          throw new Error('Redis sent a reply line longer than any GET reply');
        return;
      }
      const line = this.#line + data.toString('latin1', i, nl);
      this.#line = '';
      i = nl + 1;
      this.#reply(line.endsWith('\r') ? line.slice(0, -1) : line);
    }
  }

  /** A reply's first line. */
  #reply(line: string): void {
    const expected = this.#expected[this.#head];
    if (!expected) throw new Error(`Redis sent a reply no command asked for: ${line.slice(0, 80)}`);
    this.#shift();
    const kind = line[0];
    if (kind === '-') {
      const err = new Error(line.slice(1));
      if (expected.kind === 'status') throw err;
      expected.batch.error ??= err;
      return this.#settle(expected.batch);
    }
    if (expected.kind === 'status') {
      if (kind !== '+') throw new Error(`Redis answered the handshake with ${line.slice(0, 80)}`);
      return;
    }
    if (kind !== '$') throw new Error(`Redis answered a GET with ${line.slice(0, 80)}`);
    const size = Number(line.slice(1));
    if (size === -1) {
      expected.batch.missing ??= expected.key;
      return this.#settle(expected.batch);
    }
    if (!Number.isSafeInteger(size) || size < 0)
      throw new Error(`Redis sent a value length of ${line.slice(1, 40)}`);
    const fits = size === expected.into.length;
    if (!fits) expected.batch.missing ??= expected.key;
    this.#valueInto = fits ? expected.into : undefined;
    this.#valueAt = 0;
    this.#valueLeft = size;
    this.#current = expected.batch;
    if (size === 0) this.#trailerLeft = 2;
  }

  #valueDone(): void {
    const batch = this.#current;
    this.#current = undefined;
    this.#valueInto = undefined;
    this.#valueLeft = -1;
    if (batch) this.#settle(batch);
  }

  #shift(): void {
    this.#head++;
    if (this.#head > 1024 && this.#head * 2 > this.#expected.length) {
      this.#expected = this.#expected.slice(this.#head);
      this.#head = 0;
    }
  }

  #settle(batch: Batch): void {
    if (this.#head === this.#expected.length) this.#socket?.unref();
    if (--batch.left > 0) return;
    if (batch.error) batch.reject(batch.error);
    else if (batch.missing !== undefined) batch.reject(new SegmentMissing(batch.missing));
    else batch.resolve();
  }

  /** Drops the connection (the given one only, when named) and fails every read waiting on it. */
  #fail(err: Error, socket: Socket | undefined = this.#socket): void {
    if (!socket || socket !== this.#socket) return;
    this.#socket = undefined;
    socket.destroy();
    const waiting = this.#expected.slice(this.#head);
    const current = this.#current;
    this.#expected = [];
    this.#head = 0;
    this.#line = '';
    this.#valueLeft = -1;
    this.#valueInto = undefined;
    this.#trailerLeft = 0;
    this.#current = undefined;
    const failed = new Set<Batch>(current ? [current] : []);
    for (const e of waiting) if (e.kind === 'value') failed.add(e.batch);
    for (const batch of failed) batch.reject(err);
  }
}

const STATUS: Expected = { kind: 'status' };

/** A command in RESP: an array of bulk strings. */
function command(...args: string[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return s;
}

import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Readable } from 'node:stream';
import { FailedPreconditionError, NotFoundError } from '@sluice/errors';

/**
 * What can be uploaded: a file path, bytes in memory, or a stream (a Readable or any async
 * iterable of bytes), which is read once.
 */
export type UploadSource = string | Uint8Array | Readable | AsyncIterable<Uint8Array | string>;

/**
 * A source cut into chunks: every chunk has exactly `chunkSize` bytes except the last, which
 * may be shorter (and there is no empty last chunk: an empty source has no chunks). Chunk
 * boundaries therefore depend only on the chunk size, which is what lets a resumed upload skip
 * the chunks an earlier run staged.
 */
export interface ChunkSource {
  /** Total bytes, when known before reading (files, buffers). */
  readonly size: number | undefined;
  /** A name for the upload when the caller gives none (a file's base name). */
  readonly name: string | undefined;
  /** The next chunk, or `undefined` after the last. Only one call at a time. */
  next(): Promise<Buffer | undefined>;
  /** Called after the last chunk: throws SOURCE_CHANGED when a file changed while it was read. */
  finish(): Promise<void>;
  /** Releases the file handle or stream; safe to call more than once. */
  close(): Promise<void>;
}

/** Opens a source for chunking. File errors become FILE_NOT_FOUND or SOURCE_UNREADABLE. */
export async function openSource(source: UploadSource, chunkSize: number): Promise<ChunkSource> {
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) {
    throw new RangeError(`the chunk size must be a positive number of bytes, not ${chunkSize}`);
  }
  if (typeof source === 'string') return FileChunks.open(source, chunkSize);
  if (source instanceof Uint8Array) return new BufferChunks(source, chunkSize);
  return new StreamChunks(source, chunkSize);
}

/** The error a failed open or read of `path` becomes. */
export function fileError(path: string, err: unknown): Error {
  const code = (err as NodeJS.ErrnoException).code;
  const message = (err as Error).message;
  if (code === 'ENOENT') {
    return new NotFoundError('FILE_NOT_FOUND', `no file ${path}: check the path`, { cause: err });
  }
  const why =
    code === 'EISDIR'
      ? 'it is a directory: name the files in it'
      : code === 'EACCES' || code === 'EPERM'
        ? 'permission denied'
        : message;
  return new FailedPreconditionError('SOURCE_UNREADABLE', `cannot read ${path}: ${why}`, { cause: err });
}

class FileChunks implements ChunkSource {
  readonly size: number;
  readonly name: string;
  readonly #path: string;
  readonly #handle: FileHandle;
  readonly #chunkSize: number;
  readonly #mtimeMs: number;
  #offset = 0;
  #closed = false;

  private constructor(path: string, handle: FileHandle, size: number, mtimeMs: number, chunkSize: number) {
    this.#path = path;
    this.#handle = handle;
    this.size = size;
    this.#mtimeMs = mtimeMs;
    this.#chunkSize = chunkSize;
    this.name = basename(path);
  }

  static async open(path: string, chunkSize: number): Promise<FileChunks> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      throw fileError(path, err);
    }
    try {
      // Stat the handle, not the path: it describes exactly the file that will be read.
      const stat = await handle.stat();
      if (!stat.isFile()) {
        throw new FailedPreconditionError(
          'SOURCE_UNREADABLE',
          `cannot read ${path}: ${stat.isDirectory() ? 'it is a directory: name the files in it' : 'it is not a regular file'}`,
        );
      }
      return new FileChunks(path, handle, stat.size, stat.mtimeMs, chunkSize);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async next(): Promise<Buffer | undefined> {
    const length = Math.min(this.#chunkSize, this.size - this.#offset);
    if (length <= 0) return undefined;
    const data = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await this.#handle.read(data, filled, length - filled, this.#offset + filled));
      } catch (err) {
        throw fileError(this.#path, err);
      }
      if (bytesRead === 0) throw this.#changed(`it ended at ${this.#offset + filled} bytes`);
      filled += bytesRead;
    }
    this.#offset += length;
    return data;
  }

  async finish(): Promise<void> {
    const stat = await this.#handle.stat();
    if (stat.size !== this.size) throw this.#changed(`its size went from ${this.size} to ${stat.size} bytes`);
    if (stat.mtimeMs !== this.#mtimeMs) throw this.#changed('it was written to');
  }

  #changed(what: string): FailedPreconditionError {
    return new FailedPreconditionError(
      'SOURCE_CHANGED',
      `${this.#path} changed while it was being uploaded (${what}): upload it again once it is complete`,
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#handle.close();
  }
}

class BufferChunks implements ChunkSource {
  readonly size: number;
  readonly name = undefined;
  readonly #bytes: Buffer;
  readonly #chunkSize: number;
  #offset = 0;

  constructor(bytes: Uint8Array, chunkSize: number) {
    this.#bytes = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.size = bytes.byteLength;
    this.#chunkSize = chunkSize;
  }

  next(): Promise<Buffer | undefined> {
    if (this.#offset >= this.size) return Promise.resolve(undefined);
    // A view, not a copy: the caller's buffer must not change until the upload is done.
    const chunk = this.#bytes.subarray(this.#offset, this.#offset + this.#chunkSize);
    this.#offset += chunk.length;
    return Promise.resolve(chunk);
  }

  finish(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * A stream read once, chunk by chunk: it is pulled only when the uploader asks for the next
 * chunk, so memory holds the chunks in flight and the one being filled, whatever the stream's size.
 */
class StreamChunks implements ChunkSource {
  readonly size = undefined;
  readonly name = undefined;
  readonly #iterator: AsyncIterator<Uint8Array | string>;
  readonly #chunkSize: number;
  /** Bytes read from the stream but not yet handed out. */
  #rest: Buffer = Buffer.alloc(0);
  #ended = false;

  constructor(stream: AsyncIterable<Uint8Array | string>, chunkSize: number) {
    this.#iterator = stream[Symbol.asyncIterator]();
    this.#chunkSize = chunkSize;
  }

  async next(): Promise<Buffer | undefined> {
    if (this.#rest.length >= this.#chunkSize) return this.#take(this.#chunkSize);
    if (this.#ended) return this.#rest.length > 0 ? this.#take(this.#rest.length) : undefined;
    const chunk = Buffer.allocUnsafe(this.#chunkSize);
    let filled = this.#rest.copy(chunk);
    this.#rest = Buffer.alloc(0);
    while (filled < this.#chunkSize) {
      let result: IteratorResult<Uint8Array | string>;
      try {
        result = await this.#iterator.next();
      } catch (err) {
        throw new FailedPreconditionError(
          'SOURCE_UNREADABLE',
          `the stream being uploaded failed: ${(err as Error).message}`,
          { cause: err },
        );
      }
      if (result.done) {
        this.#ended = true;
        break;
      }
      const piece = typeof result.value === 'string' ? Buffer.from(result.value) : result.value;
      const copied = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength).copy(chunk, filled);
      filled += copied;
      // What did not fit starts the next chunk.
      if (copied < piece.byteLength) this.#rest = Buffer.from(piece.subarray(copied));
    }
    return filled === 0 ? undefined : chunk.subarray(0, filled);
  }

  #take(n: number): Buffer {
    const out = this.#rest.subarray(0, n);
    this.#rest = this.#rest.subarray(n);
    return out;
  }

  finish(): Promise<void> {
    return Promise.resolve();
  }

  async close(): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    // Stops a Readable (destroys it) when the upload ends early.
    await this.#iterator.return?.();
  }
}

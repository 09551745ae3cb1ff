import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { InternalError, UnavailableError } from '@sluice/errors';
import { ChunkDigest, type ChecksumAlgorithm, type ChunkChecksums } from './chunk-digest.ts';

/** What a checksum worker starts with: the arena it shares with the pool. */
export interface WorkerData {
  readonly arena: SharedArrayBuffer;
  readonly slotSize: number;
}

/** Messages to a checksum worker; `id` names the session. */
export type ToWorker =
  | { readonly id: number; readonly op: 'open'; readonly algorithms: readonly ChecksumAlgorithm[] }
  | { readonly id: number; readonly op: 'update'; readonly slot: number; readonly length: number }
  | { readonly id: number; readonly op: 'digest' | 'cancel' };

/** Messages from a checksum worker. */
export type FromWorker =
  | { readonly id: number; readonly op: 'hashed'; readonly slot: number; readonly bytes: number }
  | {
      readonly id: number;
      readonly op: 'digest';
      readonly sums: Partial<Record<ChecksumAlgorithm, unknown>> & { size: number };
    }
  | { readonly id: number; readonly op: 'error'; readonly message: string };

/** The checksums of one chunk, fed as its bytes arrive; see {@link ChecksumPool.session}. */
export interface ChecksumSession<A extends ChecksumAlgorithm> {
  /**
   * Feeds the next bytes. They may be copied to the hashing thread later, when it has room:
   * they must not change until the digest settles.
   */
  update(data: Uint8Array): void;
  /** Bytes fed and not yet hashed. */
  readonly backlog: number;
  /** Resolves once at most `bytes` are fed and not yet hashed. */
  drained(bytes: number): Promise<void>;
  /** The chunk's checksums. Ends the session. */
  digest(): Promise<ChunkChecksums<A>>;
  /** Ends the session without a digest. */
  cancel(): void;
}

/** Options of a {@link ChecksumPool}. */
export interface ChecksumPoolOptions {
  /** Worker threads; 0 hashes on the calling thread. */
  readonly threads: number;
  /** Chunks smaller than this are hashed on the calling thread. @default 256 KiB */
  readonly minOffloadBytes?: number;
  /** Bytes each thread shares with the pool, in slots of `slotSize`. @default 32 MiB */
  readonly arenaBytes?: number;
  /** @default 1 MiB */
  readonly slotSize?: number;
}

/**
 * Checksums of chunks computed on worker threads, so the thread that receives the bytes
 * and writes them on is not the one that hashes them. SHA-256 plus CRC64/NVME cost about
 * 1 ms of CPU per MiB: on the thread serving gRPC, a 16 MiB chunk held it for ~17 ms.
 *
 * Each thread shares a fixed arena with the pool: bytes are copied into a free slot of it
 * (one memcpy, ~0.1 ms per MiB), hashed there, and the slot is handed back. Nothing is
 * allocated per chunk, so hashing adds no garbage and no memory beyond the arenas. A session
 * stays on one thread, which hashes its bytes in order; new sessions go to the thread with
 * the least backlog.
 */
export class ChecksumPool {
  readonly threads: number;
  readonly minOffloadBytes: number;
  readonly #arenaBytes: number;
  readonly #slotSize: number;
  readonly #slots: WorkerSlot[] = [];
  #nextId = 1;
  #closed = false;

  constructor(options: ChecksumPoolOptions) {
    if (!Number.isInteger(options.threads) || options.threads < 0) {
      throw new InternalError(`ChecksumPool threads must be a whole number ≥ 0, got ${options.threads}`);
    }
    this.threads = options.threads;
    this.minOffloadBytes = options.minOffloadBytes ?? 256 * 1024;
    this.#slotSize = options.slotSize ?? 1024 * 1024;
    this.#arenaBytes = Math.max(this.#slotSize, options.arenaBytes ?? 32 * 1024 * 1024);
  }

  /**
   * Starts the checksums of a chunk of `sizeHint` bytes (0 when unknown): on a worker,
   * unless the pool has none or the chunk is known to be small.
   */
  session<A extends ChecksumAlgorithm>(algorithms: readonly A[], sizeHint = 0): ChecksumSession<A> {
    if (this.#closed) throw new InternalError('ChecksumPool is closed');
    if (this.threads === 0 || (sizeHint > 0 && sizeHint < this.minOffloadBytes)) {
      return new LocalSession(new ChunkDigest({ algorithms }));
    }
    return new WorkerSession<A>(this.#slot(), this.#nextId++, algorithms);
  }

  /**
   * Starts every thread and has each hash a known value, so a pool that cannot work (its
   * worker script missing, say) fails here, at start-up, rather than on every chunk.
   */
  async start(): Promise<void> {
    if (this.#closed) throw new InternalError('ChecksumPool is closed');
    while (this.#slots.length < this.threads)
      this.#slots.push(new WorkerSlot(this.#arenaBytes, this.#slotSize));
    const check = Buffer.from('123456789');
    await Promise.all(
      this.#slots.map(async (slot) => {
        const session = new WorkerSession(slot, this.#nextId++, ['crc64nvme'] as const);
        session.update(check);
        const { crc64nvme } = await session.digest();
        if (crc64nvme !== CHECK_CRC64NVME) {
          throw new InternalError(
            `a checksum thread computed ${crc64nvme} for the check value, not ${CHECK_CRC64NVME}`,
          );
        }
      }),
    );
  }

  /** Stops the workers; sessions still open fail. */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all(this.#slots.map((slot) => slot.terminate()));
    this.#slots.length = 0;
  }

  #slot(): WorkerSlot {
    for (const [i, slot] of this.#slots.entries()) {
      if (slot.dead) this.#slots[i] = new WorkerSlot(this.#arenaBytes, this.#slotSize);
    }
    if (this.#slots.length < this.threads) {
      const slot = new WorkerSlot(this.#arenaBytes, this.#slotSize);
      this.#slots.push(slot);
      return slot;
    }
    return this.#slots.reduce((a, b) => (b.backlog < a.backlog ? b : a));
  }
}

/** CRC64/NVME of "123456789", the algorithm's check value. */
const CHECK_CRC64NVME = 0xae8b14860a799888n;

/** The worker script beside this file, in the same form (.ts from source, .js when built). */
const WORKER_URL = new URL(`./checksum-worker${extname(fileURLToPath(import.meta.url))}`, import.meta.url);

/** A session's state on its thread. */
interface Pending {
  backlog: number;
  readonly waiters: { readonly bytes: number; readonly resolve: () => void }[];
  result?: { resolve: (sums: FromWorker & { op: 'digest' }) => void; reject: (err: Error) => void };
  failure?: Error;
}

/** Work waiting for a free slot, in the order it was asked for. */
type Queued =
  | { readonly op: 'update'; readonly id: number; readonly data: Uint8Array; offset: number }
  | { readonly op: 'digest'; readonly id: number };

/** One worker thread, its arena, and the sessions it serves. */
class WorkerSlot {
  readonly #worker: Worker;
  /**
   * The shared arena, as a Buffer, filled with `Buffer#fill(piece, start, end)`: a plain
   * memcpy. `Uint8Array#set` (and `Buffer#copy`, which uses it) copies into shared memory word
   * by word with relaxed atomics (V8's relaxed_memmove: 17% of ingest's main thread in a
   * profile, against 10% for grpc-js joining the same bytes with memmove).
   */
  readonly #arena: Buffer;
  readonly #slotSize: number;
  readonly #free: number[];
  readonly #queue: Queued[] = [];
  readonly #sessions = new Map<number, Pending>();
  dead = false;

  constructor(arenaBytes: number, slotSize: number) {
    const slots = Math.floor(arenaBytes / slotSize);
    const arena = new SharedArrayBuffer(slots * slotSize);
    this.#arena = Buffer.from(arena);
    this.#slotSize = slotSize;
    this.#free = Array.from({ length: slots }, (_, i) => slots - 1 - i);
    this.#worker = new Worker(WORKER_URL, { workerData: { arena, slotSize } satisfies WorkerData });
    this.#worker.unref();
    this.#worker.on('message', (m: FromWorker) => this.#receive(m));
    this.#worker.on('error', (err: Error) => this.#fail(err));
    this.#worker.on('exit', (code) => this.#fail(new Error(`checksum worker exited with code ${code}`)));
  }

  open(id: number, algorithms: readonly ChecksumAlgorithm[]): Pending {
    const pending: Pending = { backlog: 0, waiters: [] };
    this.#sessions.set(id, pending);
    this.#post({ id, op: 'open', algorithms });
    return pending;
  }

  update(id: number, pending: Pending, data: Uint8Array): void {
    pending.backlog += data.length;
    this.#queue.push({ op: 'update', id, data, offset: 0 });
    this.#pump();
  }

  digest(id: number, pending: Pending): Promise<FromWorker & { op: 'digest' }> {
    return new Promise((resolve, reject) => {
      if (pending.failure) return reject(pending.failure);
      pending.result = { resolve, reject };
      this.#queue.push({ op: 'digest', id });
      this.#pump();
    });
  }

  cancel(id: number, pending: Pending): void {
    this.#forget(id, pending);
    this.#post({ id, op: 'cancel' });
  }

  /** Bytes fed to this thread's sessions and not yet hashed. */
  get backlog(): number {
    let bytes = 0;
    for (const pending of this.#sessions.values()) bytes += pending.backlog;
    return bytes;
  }

  wait(pending: Pending, bytes: number): Promise<void> {
    if (pending.backlog <= bytes) return Promise.resolve();
    return new Promise((resolve) => pending.waiters.push({ bytes, resolve }));
  }

  terminate(): Promise<number> {
    return this.#worker.terminate();
  }

  /** Copies queued bytes into free slots and posts them, in order. */
  #pump(): void {
    while (this.#queue.length > 0 && !this.dead) {
      const next = this.#queue[0] as Queued;
      if (next.op === 'digest') {
        this.#queue.shift();
        this.#post({ id: next.id, op: 'digest' });
        continue;
      }
      const slot = this.#free.pop();
      if (slot === undefined) return;
      const piece = next.data.subarray(next.offset, next.offset + this.#slotSize);
      const at = slot * this.#slotSize;
      if (piece.length > 0) this.#arena.fill(piece, at, at + piece.length);
      next.offset += piece.length;
      if (next.offset >= next.data.length) this.#queue.shift();
      this.#post({ id: next.id, op: 'update', slot, length: piece.length });
    }
  }

  #post(message: ToWorker): void {
    if (!this.dead) this.#worker.postMessage(message);
  }

  #receive(m: FromWorker): void {
    if (m.op === 'hashed') {
      this.#free.push(m.slot);
      const pending = this.#sessions.get(m.id);
      if (pending) {
        pending.backlog -= m.bytes;
        this.#release(pending);
      }
      this.#pump();
      return;
    }
    const pending = this.#sessions.get(m.id);
    if (!pending) return;
    this.#forget(m.id, pending);
    if (m.op === 'digest') pending.result?.resolve(m);
    else this.#settleFailed(pending, new InternalError(`checksums failed: ${m.message}`));
  }

  /** Drops a session: its bytes still queued here are never sent. */
  #forget(id: number, pending: Pending): void {
    this.#sessions.delete(id);
    for (let i = this.#queue.length - 1; i >= 0; i--) {
      if (this.#queue[i]?.id === id) this.#queue.splice(i, 1);
    }
    pending.backlog = 0;
    this.#release(pending);
  }

  #fail(err: Error): void {
    if (this.dead) return;
    this.dead = true;
    // The chunk can be sent again: the next session gets a new thread.
    const failure = new UnavailableError('CHECKSUMS_UNAVAILABLE', `checksum worker failed: ${err.message}`, {
      cause: err,
    });
    for (const pending of this.#sessions.values()) this.#settleFailed(pending, failure);
    this.#sessions.clear();
    this.#queue.length = 0;
  }

  #settleFailed(pending: Pending, err: Error): void {
    pending.failure = err;
    pending.result?.reject(err);
    pending.backlog = 0;
    this.#release(pending);
  }

  #release(pending: Pending): void {
    for (let i = pending.waiters.length - 1; i >= 0; i--) {
      const waiter = pending.waiters[i] as Pending['waiters'][number];
      if (pending.backlog <= waiter.bytes) {
        pending.waiters.splice(i, 1);
        waiter.resolve();
      }
    }
  }
}

class WorkerSession<A extends ChecksumAlgorithm> implements ChecksumSession<A> {
  readonly #slot: WorkerSlot;
  readonly #id: number;
  readonly #pending: Pending;
  #ended = false;

  constructor(slot: WorkerSlot, id: number, algorithms: readonly A[]) {
    this.#slot = slot;
    this.#id = id;
    this.#pending = slot.open(id, algorithms);
  }

  get backlog(): number {
    return this.#pending.backlog;
  }

  update(data: Uint8Array): void {
    this.#requireOpen('update');
    if (data.length > 0) this.#slot.update(this.#id, this.#pending, data);
  }

  drained(bytes: number): Promise<void> {
    return this.#slot.wait(this.#pending, bytes);
  }

  async digest(): Promise<ChunkChecksums<A>> {
    this.#requireOpen('digest');
    this.#ended = true;
    const { sums } = await this.#slot.digest(this.#id, this.#pending);
    const { sha256, ...rest } = sums;
    return Object.freeze({
      ...rest,
      ...(sha256 instanceof Uint8Array ? { sha256: Buffer.from(sha256) } : {}),
    }) as unknown as ChunkChecksums<A>;
  }

  cancel(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#slot.cancel(this.#id, this.#pending);
  }

  #requireOpen(what: string): void {
    if (this.#ended) throw new InternalError(`ChecksumSession.${what}() after the session ended`);
  }
}

/** A session hashed on the calling thread, as the bytes are fed. */
class LocalSession<A extends ChecksumAlgorithm> implements ChecksumSession<A> {
  readonly #digest: ChunkDigest<A>;
  readonly backlog = 0;

  constructor(digest: ChunkDigest<A>) {
    this.#digest = digest;
  }

  update(data: Uint8Array): void {
    this.#digest.update(data);
  }

  drained(): Promise<void> {
    return Promise.resolve();
  }

  digest(): Promise<ChunkChecksums<A>> {
    return Promise.resolve(this.#digest.digest());
  }

  cancel(): void {
    // Nothing to release.
  }
}

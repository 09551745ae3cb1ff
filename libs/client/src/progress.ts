/** Where an upload is. */
export type UploadPhase = 'starting' | 'uploading' | 'sealing' | 'waiting' | 'done';

/** A snapshot of an upload's progress, passed to `onProgress` whenever it changes. */
export interface UploadProgress {
  /** Empty until the upload exists. */
  readonly uploadId: string;
  readonly phase: UploadPhase;
  /** Total bytes, when known (files, buffers; a stream's once it has ended). */
  readonly totalBytes: number | undefined;
  /** Bytes read from the source (and hashed). */
  readonly bytesRead: number;
  /**
   * Bytes acknowledged plus bytes handed to the transport for chunks in flight. It can step
   * back when a chunk is refused and sent again.
   */
  readonly bytesSent: number;
  /** Bytes the server acknowledged as staged, counting chunks an earlier run staged. */
  readonly bytesAcknowledged: number;
  /** Of `bytesAcknowledged`, those an earlier run had staged (resume). */
  readonly bytesResumed: number;
  /** Bytes stored in the object store, once the server reports it (while waiting). */
  readonly bytesStored: number | undefined;
  readonly chunksAcknowledged: number;
  /** Chunk calls refused by back-pressure and waiting to be sent again, right now. */
  readonly chunksHeldBack: number;
}

/** Counts bytes for one upload and reports each change. */
export class ProgressTracker {
  #p: UploadProgress;
  readonly #listener: ((p: UploadProgress) => void) | undefined;

  constructor(totalBytes: number | undefined, listener?: (p: UploadProgress) => void) {
    this.#listener = listener;
    this.#p = {
      uploadId: '',
      phase: 'starting',
      totalBytes,
      bytesRead: 0,
      bytesSent: 0,
      bytesAcknowledged: 0,
      bytesResumed: 0,
      bytesStored: undefined,
      chunksAcknowledged: 0,
      chunksHeldBack: 0,
    };
  }

  get current(): UploadProgress {
    return this.#p;
  }

  update(change: Partial<UploadProgress>): void {
    this.#p = { ...this.#p, ...change };
    this.#listener?.(this.#p);
  }

  add(change: Partial<Record<'bytesRead' | 'bytesSent' | 'chunksHeldBack', number>>): void {
    const p = this.#p;
    this.update({
      bytesRead: p.bytesRead + (change.bytesRead ?? 0),
      bytesSent: p.bytesSent + (change.bytesSent ?? 0),
      chunksHeldBack: p.chunksHeldBack + (change.chunksHeldBack ?? 0),
    });
  }

  /** A chunk is staged: by this run (its bytes were counted as sent) or by an earlier one. */
  acknowledged(bytes: number, resumed: boolean): void {
    const p = this.#p;
    this.update({
      bytesAcknowledged: p.bytesAcknowledged + bytes,
      bytesResumed: p.bytesResumed + (resumed ? bytes : 0),
      bytesSent: p.bytesSent + (resumed ? bytes : 0),
      chunksAcknowledged: p.chunksAcknowledged + 1,
    });
  }
}

import type { UploadRef } from '@sluice/proto';
import { applyEvent, type ProjectionState } from './fold.ts';
import type { ProjectionEvent } from './events.ts';
import { placeholderUpload, rowKey, type ChunkRow, type PartRow, type UploadRow } from './rows.ts';

/**
 * Rows in memory. A projection store seeds one with the rows a batch touches, folds the batch
 * into it and writes back what changed; tests fold whole event histories into one to state
 * what the database must hold.
 */
export class MemoryProjection implements ProjectionState {
  readonly uploads = new Map<string, UploadRow>();
  readonly chunks = new Map<string, ChunkRow>();
  readonly parts = new Map<string, PartRow>();
  /** Keys of chunk and part rows put since the last {@link clearChanges}. */
  readonly changedChunks = new Set<string>();
  readonly changedParts = new Set<string>();

  /** Folds events in the order given. */
  apply(events: Iterable<ProjectionEvent>): this {
    for (const event of events) applyEvent(this, event);
    return this;
  }

  upload(who: UploadRef, at: Date): UploadRow {
    let row = this.uploads.get(who.uploadId);
    if (!row) {
      row = placeholderUpload(who, at);
      this.uploads.set(who.uploadId, row);
    }
    return row;
  }

  chunk(uploadId: string, chunkNumber: number): ChunkRow | undefined {
    return this.chunks.get(rowKey(uploadId, chunkNumber));
  }

  putChunk(row: ChunkRow): void {
    const key = rowKey(row.uploadId, row.chunkNumber);
    this.chunks.set(key, row);
    this.changedChunks.add(key);
  }

  part(uploadId: string, partNumber: number): PartRow | undefined {
    return this.parts.get(rowKey(uploadId, partNumber));
  }

  putPart(row: PartRow): void {
    const key = rowKey(row.uploadId, row.partNumber);
    this.parts.set(key, row);
    this.changedParts.add(key);
  }

  /** Adds rows read from storage, without marking them changed. */
  seed(rows: {
    uploads?: Iterable<UploadRow>;
    chunks?: Iterable<ChunkRow>;
    parts?: Iterable<PartRow>;
  }): this {
    for (const r of rows.uploads ?? []) this.uploads.set(r.uploadId, r);
    for (const r of rows.chunks ?? []) this.chunks.set(rowKey(r.uploadId, r.chunkNumber), r);
    for (const r of rows.parts ?? []) this.parts.set(rowKey(r.uploadId, r.partNumber), r);
    return this;
  }

  clearChanges(): void {
    this.changedChunks.clear();
    this.changedParts.clear();
  }
}

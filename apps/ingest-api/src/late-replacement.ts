import { FailedPreconditionError } from '@sluice/errors';
import { partNeighbours } from '@sluice/parts';
import type { ChunkRecord, StagingStore, UploadMeta } from '@sluice/staging';

/**
 * Refuses a forced replacement of `existing` that the part-writer could no longer carry out.
 * Once a part is stored, the part-writer deletes the bytes of the chunks no other part needs;
 * a chunk replaced after that would need its part written again from bytes that are gone, and
 * the upload would fail. Refusing here tells the client at once, before anything is staged.
 *
 * Chunks whose offset is not known yet (a gap before them) sit in no part so far, and are
 * always replaceable (`partNeighbours` in `@sluice/parts`, the part-writer's rules). The check
 * reads the upload's chunk records and one key per chunk
 * sharing a part with this one; forced replacements are rare, so that cost is paid rarely.
 * A part stored between this check and the commit is still caught by the part-writer,
 * which then fails the upload with the same code.
 */
export async function requireReplaceable(
  staging: StagingStore,
  meta: UploadMeta,
  existing: ChunkRecord,
): Promise<void> {
  if (existing.size === 0) return;
  const records = await staging.listChunks(meta.uploadId);
  const around = partNeighbours(
    new Map(records.map((r) => [r.chunk, r.size])),
    existing.chunk,
    meta.destination.partSizePolicy,
    meta.fixedChunkSize > 0 ? meta.fixedChunkSize : undefined,
  );
  if (!around || around.chunks.length === 0) return;
  const byNumber = new Map(records.map((r) => [r.chunk, r]));
  const neighbours = around.chunks.map((n) => byNumber.get(n)).filter((r) => r !== undefined);
  const present = await staging.segmentsPresent(neighbours.map((r) => staging.segmentsOf(meta.uploadId, r)));
  const released = neighbours.filter((_, i) => !present[i]).map((r) => r.chunk);
  if (released.length === 0) return;
  const one = around.firstPart === around.lastPart;
  const parts = one ? `part ${around.firstPart}` : `parts ${around.firstPart}–${around.lastPart}`;
  throw new FailedPreconditionError(
    'CHUNK_REPLACED_TOO_LATE',
    `chunk ${existing.chunk} of upload ${meta.uploadId} can no longer be replaced: ${parts} holding it ` +
      `${one ? 'is' : 'are'} stored and the bytes of chunk(s) ` +
      `${released.slice(0, 10).join(', ')}${released.length > 10 ? ', …' : ''} beside it were released. ` +
      'A chunk can be replaced only until the parts holding it are stored: upload the file again',
  );
}

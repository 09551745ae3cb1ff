import { FailedPreconditionError } from '@sluice/errors';
import { chunkLayout, partForOffset } from '@sluice/parts';
import type { ChunkRecord, RedisStaging, UploadMeta } from '@sluice/staging';

/**
 * Refuses a forced replacement of `existing` that the part-writer could no longer carry out.
 * Once a part is stored, the part-writer deletes the bytes of the chunks no other part needs;
 * a chunk replaced after that would need its part written again from bytes that are gone, and
 * the upload would fail. Refusing here tells the client at once, before anything is staged.
 *
 * Chunks whose offset is not known yet (a gap before them) sit in no part so far, and are
 * always replaceable. The check reads the upload's chunk records and one key per chunk
 * sharing a part with this one; forced replacements are rare, so that cost is paid rarely.
 * A part stored between this check and the commit is still caught by the part-writer,
 * which then fails the upload with the same code.
 */
export async function requireReplaceable(
  staging: RedisStaging,
  meta: UploadMeta,
  existing: ChunkRecord,
): Promise<void> {
  if (existing.size === 0) return;
  const records = await staging.listChunks(meta.uploadId);
  const layout = chunkLayout(
    new Map(records.map((r) => [r.chunk, r.size])),
    meta.fixedChunkSize > 0 ? meta.fixedChunkSize : undefined,
  );
  const offset = layout.offsets.get(existing.chunk);
  if (offset === undefined) return;
  const policy = meta.destination.partSizePolicy;
  const first = partForOffset(policy, offset);
  const last = partForOffset(policy, offset + existing.size - 1);
  const neighbours = records.filter((r) => {
    const at = layout.offsets.get(r.chunk);
    return (
      r.chunk !== existing.chunk &&
      r.size > 0 &&
      at !== undefined &&
      at < last.end &&
      at + r.size > first.start
    );
  });
  if (neighbours.length === 0) return;
  const present = await staging.segmentsPresent(neighbours.map((r) => staging.segmentsOf(meta.uploadId, r)));
  const released = neighbours.filter((_, i) => !present[i]).map((r) => r.chunk);
  if (released.length === 0) return;
  const parts =
    first.partNumber === last.partNumber
      ? `part ${first.partNumber}`
      : `parts ${first.partNumber}–${last.partNumber}`;
  throw new FailedPreconditionError(
    'CHUNK_REPLACED_TOO_LATE',
    `chunk ${existing.chunk} of upload ${meta.uploadId} can no longer be replaced: ${parts} holding it ` +
      `${first.partNumber === last.partNumber ? 'is' : 'are'} stored and the bytes of chunk(s) ` +
      `${released.slice(0, 10).join(', ')}${released.length > 10 ? ', …' : ''} beside it were released. ` +
      'A chunk can be replaced only until the parts holding it are stored: upload the file again',
  );
}

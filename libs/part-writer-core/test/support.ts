/** What the part-writer's tests share: staging a file as ingest does, feeding its events, reading what came out. */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { crc64nvme } from '@sluice/checksums';
import type { Deferred } from '@sluice/kafka';
import type { ChunkEvent, PartEvent } from '@sluice/proto';
import type { StagingStore } from '@sluice/staging';
import { newUpload } from '@sluice/staging/testing';
import type { PartWriter } from '../src/index.ts';

export const MiB = 1024 * 1024;

/** Stages `file` in `sizes` as ingest does, for tenant `t` unless told, and returns the events ingest would emit. */
export async function stage(
  s: { readonly staging: StagingStore; readonly bucket: string; readonly tenant?: string },
  file: Buffer,
  sizes: readonly number[],
  seal = true,
  /** Declared by the client, so parts can be cut as soon as their chunks are in, in any order. */
  fixedChunkSize = 0,
): Promise<ChunkEvent[]> {
  const uploadId = randomUUID();
  const nodeId = randomUUID();
  const tenant = s.tenant ?? 't';
  const { meta } = await s.staging.createUpload(
    newUpload({
      uploadId,
      tenant,
      drive: 'd',
      nodeId,
      fixedChunkSize,
      destination: {
        bucket: s.bucket,
        key: `k/${uploadId}`,
        partSizePolicy: { kind: 'fixed', partSize: 5 * MiB },
      },
    }),
  );
  const envelope = (event: NonNullable<ChunkEvent['event']>): ChunkEvent => ({
    eventId: randomUUID(),
    uploadId,
    nodeId,
    tenant,
    drive: 'd',
    occurredAt: new Date(),
    event,
  });
  const events: ChunkEvent[] = [];
  let offset = 0;
  for (const [chunk, size] of sizes.entries()) {
    const bytes = file.subarray(offset, offset + size);
    offset += size;
    const write = s.staging.openChunkWrite(uploadId, chunk);
    await write.write(bytes);
    const crc = crc64nvme(bytes);
    const { record } = await write.commit(
      {
        size,
        sha256: '00'.repeat(32),
        crc64nvme: crc.toString(),
        crc32c: 0,
        crc32: 0,
        generation: 0,
      },
      '',
    );
    const { writeId, segmentCount } = record;
    const prefix = write.prefix;
    await s.staging.markChunkEmitted(uploadId, chunk, writeId);
    events.push(
      envelope({
        $case: 'chunkUploaded',
        value: {
          chunkNumber: chunk,
          size: BigInt(size),
          sha256: Buffer.alloc(32),
          crc64nvme: crc,
          crc32c: 0,
          crc32: 0,
          segmentKeyPrefix: prefix,
          segmentCount,
          segmentSize: s.staging.segmentSize,
          generation: 0,
          replaced: false,
        },
      }),
    );
  }
  if (seal) {
    await s.staging.seal(uploadId, sizes.length, '');
    events.push(
      envelope({ $case: 'uploadSealed', value: { totalChunks: sizes.length, sha256: Buffer.alloc(0) } }),
    );
  }
  assert.equal(meta.uploadId, uploadId);
  return events;
}

/** Hands the events to the writer one at a time, as the processor does for one key, and waits for all. */
export async function feed(w: PartWriter, events: readonly ChunkEvent[], signal: AbortSignal): Promise<void> {
  const pending: Promise<void>[] = [];
  for (const e of events) {
    const deferred = (await w.handle(e, signal)) as Deferred | undefined;
    if (deferred) pending.push(deferred.done);
  }
  await Promise.all(pending);
}

export function ofCase<C extends NonNullable<PartEvent['event']>['$case']>(
  events: readonly PartEvent[],
  $case: C,
) {
  return events.flatMap((e) =>
    e.event?.$case === $case
      ? [e.event.value as Extract<NonNullable<PartEvent['event']>, { $case: C }>['value']]
      : [],
  );
}

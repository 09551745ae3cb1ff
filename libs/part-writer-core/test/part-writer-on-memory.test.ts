/**
 * The part-writer's rules on in-memory staging, state and object store (each held to its real
 * adapter by a shared suite): no services, milliseconds a case. part-writer.test.ts runs the same
 * code against Redis and the S3 server.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { crc64nvme } from '@sluice/checksums';
import { UnavailableError } from '@sluice/errors';
import { createLogger } from '@sluice/logging';
import type { ChunkEvent, PartEvent } from '@sluice/proto';
import { MemoryStaging } from '@sluice/staging';
import { MemoryObjectStore, checksumFields } from '@sluice/storage';
import { Registry } from 'prom-client';
import { MemoryPartState, PartWriter, type PartWriterOptions, type ResolvedDrive } from '../src/index.ts';
import { MiB, feed, ofCase, stage } from './support.ts';

/** A drive on `objects` with the tests' defaults. */
const onStore = (objects: MemoryObjectStore): ResolvedDrive => ({
  objects,
  checksumMode: 'crc64nvme',
  partSizePolicy: { kind: 'fixed', partSize: 5 * MiB },
});

/** A writer on in-memory stores; every drive is on `objects` unless `drive` resolves them. */
function setup(drive?: PartWriterOptions['drive'], options: Partial<PartWriterOptions> = {}) {
  const staging = new MemoryStaging();
  const objects = new MemoryObjectStore();
  const bucket = 'files';
  objects.createBucket(bucket);
  const store = new MemoryPartState();
  const events: PartEvent[] = [];
  const writer = new PartWriter({
    staging,
    store,
    drive: drive ?? (() => onStore(objects)),
    events: { produce: (e) => Promise.resolve(void events.push(e)) },
    logger: createLogger({ service: 'test', level: 'silent' }),
    registry: new Registry(),
    retry: { initialDelayMs: 1, maxDelayMs: 2 },
    ...options,
  });
  return { staging, objects, bucket, store, events, writer };
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest();

/** Chunk events in the order given by `order` (indexes into the chunk events), the rest as they were. */
function reorder(events: readonly ChunkEvent[], order: readonly number[]): ChunkEvent[] {
  const chunks = events.filter((e) => e.event?.$case === 'chunkUploaded');
  const rest = events.filter((e) => e.event?.$case !== 'chunkUploaded');
  return [...order.map((i) => chunks[i]!), ...rest];
}

describe('PartWriter on in-memory stores', () => {
  it('cuts chunks of any size, arriving in any order, into parts the store completes into the file', async () => {
    const s = setup();
    const sizes = [3 * MiB, 4 * MiB + 1, 1, 6 * MiB, 2 * MiB - 7];
    const file = randomBytes(sizes.reduce((a, b) => a + b, 0));
    const events = reorder(await stage(s, file, sizes), [3, 1, 4, 0, 2]);
    await feed(s.writer, events, new AbortController().signal);

    const stored = ofCase(s.events, 'partStored');
    const [all] = ofCase(s.events, 'allPartsStored');
    assert.ok(all, 'AllPartsStored was announced');
    assert.equal(all.partCount, Math.ceil(file.length / (5 * MiB)));
    assert.deepEqual(
      stored.map((p) => p.partNumber).sort((a, b) => a - b),
      [1, 2, 3],
    );
    assert.equal(all.crc64nvme, crc64nvme(file), 'the CRC is combined from the chunks');
    assert.deepEqual(Buffer.from(all.contentSha256), sha256(file), 'the whole-file SHA-256, unasked');
    const ref = { bucket: s.bucket, key: all.location!.key, uploadId: all.location!.multipartUploadId };
    const completed = await s.objects.completeMultipartUpload(
      ref,
      stored.map((p) => ({
        partNumber: p.partNumber,
        etag: p.etag,
        checksum: checksumFields('crc64nvme', p).ChecksumCRC64NVME!,
      })),
      { algorithm: 'crc64nvme', base64: checksumFields('crc64nvme', all).ChecksumCRC64NVME! },
    );
    assert.equal(completed.status, 'completed');
    const read = await s.objects.sha256OfObject({ bucket: s.bucket, key: ref.key, versionId: '' });
    assert.deepEqual(read, { sha256: sha256(file), size: file.length });

    const uploadId = events[0]!.uploadId;
    assert.deepEqual(s.staging.segmentKeys(), [], 'every staged byte is released');
    assert.equal((await s.staging.getUpload(uploadId))!.stagedBytes, 0);
  });

  it('hashes parts cut out of order in offset order, holding the ones ahead of the hash', async () => {
    const s = setup();
    const file = randomBytes(4 * 5 * MiB + 17);
    // A declared chunk size lets the last part be cut first: the hash waits for part 1.
    const events = await stage(s, file, [...Array.from({ length: 4 }, () => 5 * MiB), 17], true, 5 * MiB);
    await feed(s.writer, reorder(events, [4, 3, 2, 1, 0]), new AbortController().signal);
    const [all] = ofCase(s.events, 'allPartsStored');
    assert.equal(all?.partCount, 5);
    assert.deepEqual(Buffer.from(all.contentSha256), sha256(file));
  });

  it('gives the hash up, and says why, when more than the reorder budget waits for it', async () => {
    const registry = new Registry();
    const s = setup(undefined, { hashReorderBytes: 5 * MiB, registry });
    const file = randomBytes(3 * 5 * MiB);
    const events = await stage(s, file, [5 * MiB, 5 * MiB, 5 * MiB], true, 5 * MiB);
    await feed(s.writer, reorder(events, [2, 1, 0]), new AbortController().signal);
    const [all] = ofCase(s.events, 'allPartsStored');
    assert.equal(all?.partCount, 3, 'the upload itself is not held up');
    assert.equal(all.contentSha256.length, 0, 'no hash rather than a wrong one');
    const given = await registry.getSingleMetric('sluice_part_writer_hashes_given_up_total')!.get();
    assert.deepEqual(
      given.values.map((v) => [v.labels['reason'], v.value]),
      [['reordered', 1]],
    );
  });

  it('goes on with the hash from its checkpoint when the upload comes to it with parts stored', async () => {
    const registry = new Registry();
    const s = setup(undefined, { registry });
    const file = randomBytes(11 * MiB);
    const events = await stage(s, file, [5 * MiB, 5 * MiB, MiB]);
    // The first owner stores parts 1 and 2, then loses the partition.
    const first = new AbortController();
    await feed(s.writer, events.slice(0, 2), first.signal);
    assert.equal(ofCase(s.events, 'partStored').length, 2);
    const uploadId = events[0]!.uploadId;
    const saved = (await s.store.load(uploadId))!.hashCheckpoint;
    assert.equal(saved?.part, 2, 'the hash after part 2 is in the state');
    assert.equal(saved.offset, 10 * MiB);
    assert.deepEqual(
      s.staging.segmentKeys().map((k) => k.split(':')[3]),
      ['2'],
      'the bytes of parts behind the checkpoint are released; chunk 2 is not in a part yet',
    );
    first.abort();
    await feed(s.writer, events.slice(2), new AbortController().signal);
    const [all] = ofCase(s.events, 'allPartsStored');
    assert.equal(all?.partCount, 3);
    assert.deepEqual(Buffer.from(all.contentSha256), sha256(file), 'no byte before part 3 is read again');
    const resumed = await registry.getSingleMetric('sluice_part_writer_hashes_resumed_total')!.get();
    assert.equal(resumed.values[0]?.value, 1);

    // An upload hashed to its end keeps its hash for a repeat of AllPartsStored from another run.
    const t = setup();
    const whole = await stage(t, file, [5 * MiB, 5 * MiB, MiB]);
    const failOnce = t.store.markDone.bind(t.store);
    let fail = true;
    t.store.markDone = (id) =>
      fail
        ? ((fail = false), Promise.reject(new UnavailableError('STAGING_UNAVAILABLE', 'crash')))
        : failOnce(id);
    await assert.rejects(feed(t.writer, whole, new AbortController().signal), /crash/);
    await feed(t.writer, whole, new AbortController().signal);
    const announced = ofCase(t.events, 'allPartsStored');
    assert.equal(announced.length, 2, 'announced again after the crash before done');
    assert.deepEqual(Buffer.from(announced[1]!.contentSha256), sha256(file));
    assert.deepEqual(announced[1], announced[0], 'the repeat says the same');
  });

  it('hashes again from Redis the parts stored past the checkpoint, whose bytes it kept for that', async () => {
    const s = setup();
    const file = randomBytes(3 * 5 * MiB + 9);
    const events = await stage(s, file, [5 * MiB, 5 * MiB, 5 * MiB, 9], true, 5 * MiB);
    const [c0, c1, c2, c3, ...rest] = events;
    // Parts 3 and 2 are stored first; part 1 is not, so the hash has no checkpoint to save.
    const first = new AbortController();
    await feed(s.writer, [c2!, c1!], first.signal);
    assert.equal(ofCase(s.events, 'partStored').length, 2);
    const uploadId = c0!.uploadId;
    assert.equal((await s.store.load(uploadId))!.hashCheckpoint, undefined);
    const chunksStaged = () => new Set(s.staging.segmentKeys().map((k) => k.split(':')[3]));
    assert.deepEqual(chunksStaged(), new Set(['0', '1', '2', '3']), 'the bytes of parts 2 and 3 stay staged');
    first.abort();
    // The next owner reads parts 2 and 3 again for the hash, and writes parts 1 and 4. Those
    // reads are slow here: AllPartsStored must wait for them, not go out without the hash.
    const read = s.staging.readRangeInto.bind(s.staging);
    const stored = new Set(
      [c1!, c2!].map((e) => e.event?.$case === 'chunkUploaded' && e.event.value.segmentKeyPrefix),
    );
    s.staging.readRangeInto = async (segments, offset, into) => {
      if (stored.has(segments.prefix)) await new Promise((resolve) => setTimeout(resolve, 50));
      return read(segments, offset, into);
    };
    await feed(s.writer, [c0!, c3!, ...rest], new AbortController().signal);
    const [all] = ofCase(s.events, 'allPartsStored');
    assert.equal(all?.partCount, 4);
    assert.deepEqual(Buffer.from(all.contentSha256), sha256(file));
    assert.equal(ofCase(s.events, 'partStored').length, 4, 'no part is written twice');
    assert.deepEqual(s.staging.segmentKeys(), [], 'every staged byte is released in the end');
  });

  it('gives the hash up, and says why, when bytes it needs to go on are gone', async () => {
    const registry = new Registry();
    const s = setup(undefined, { registry });
    const file = randomBytes(11 * MiB);
    const events = await stage(s, file, [5 * MiB, 5 * MiB, MiB]);
    const first = new AbortController();
    await feed(s.writer, events.slice(0, 2), first.signal);
    first.abort();
    // A checkpoint that does not match the parts stored (part 2 stored from other bytes, say):
    // the hash starts over, and part 1's bytes, behind the real checkpoint, are gone.
    const uploadId = events[0]!.uploadId;
    const saved = (await s.store.load(uploadId))!.hashCheckpoint!;
    await s.store.saveHashCheckpoint(uploadId, { ...saved, part: 3, chain: 'other' });
    await feed(s.writer, events.slice(2), new AbortController().signal);
    const [all] = ofCase(s.events, 'allPartsStored');
    assert.equal(all?.partCount, 3, 'the upload itself goes on');
    assert.equal(all.contentSha256.length, 0, 'no hash rather than a wrong one');
    const given = await registry.getSingleMetric('sluice_part_writer_hashes_given_up_total')!.get();
    assert.deepEqual(
      given.values.map((v) => [v.labels['reason'], v.value]),
      [['reloaded', 1]],
    );
  });

  it('writes a file that fits in one part with a single PutObject', async () => {
    const s = setup();
    const file = randomBytes(MiB + 3);
    await feed(s.writer, await stage(s, file, [MiB, 3]), new AbortController().signal);
    const [all] = ofCase(s.events, 'allPartsStored');
    assert.equal(all?.partCount, 1);
    assert.equal(all.location!.multipartUploadId, '');
    const head = await s.objects.headObject({ bucket: s.bucket, key: all.location!.key, versionId: '' });
    assert.equal(head?.size, file.length);
    assert.deepEqual(Buffer.from(all.contentSha256), sha256(file));
  });

  it('announces nothing twice when the same events come again', async () => {
    const s = setup();
    const file = randomBytes(11 * MiB);
    const events = await stage(s, file, [5 * MiB, 6 * MiB]);
    await feed(s.writer, events, new AbortController().signal);
    const first = s.events.length;
    await feed(s.writer, events, new AbortController().signal);
    assert.ok(ofCase(s.events, 'allPartsStored').length >= 1);
    const ids = s.events.map((e) => e.eventId);
    assert.equal(new Set(ids).size, new Set(ids.slice(0, first)).size, 'a repeat carries the same event ids');
  });

  it("writes to its own tenant's drive when another tenant has a drive of the same name", async () => {
    const stores = new Map([
      ['acme', new MemoryObjectStore()],
      ['globex', new MemoryObjectStore()],
    ]);
    for (const store of stores.values()) store.createBucket('files');
    const s = setup((tenant, name) => {
      const objects = name === 'd' ? stores.get(tenant) : undefined;
      return objects && onStore(objects);
    });
    const file = randomBytes(MiB);
    await feed(s.writer, await stage({ ...s, tenant: 'globex' }, file, [MiB]), new AbortController().signal);
    const [all] = ofCase(s.events, 'allPartsStored');
    assert.ok(all?.location, 'AllPartsStored was announced');
    const ref = { bucket: 'files', key: all.location.key, versionId: '' };
    assert.equal((await stores.get('globex')!.headObject(ref))?.size, file.length);
    assert.equal(await stores.get('acme')!.headObject(ref), undefined);
  });

  it('fails an upload the store refuses, with its S3 code, and releases its bytes', async () => {
    const s = setup();
    const file = randomBytes(11 * MiB);
    const events = await stage({ staging: s.staging, bucket: 'no-such-bucket' }, file, [11 * MiB]);
    await feed(s.writer, events, new AbortController().signal);
    const [failed] = ofCase(s.events, 'uploadFailed');
    assert.equal(failed?.errorCode, 'STORAGE_REJECTED');
    assert.equal(failed.s3Code, 'NoSuchBucket');
    assert.equal(ofCase(s.events, 'allPartsStored').length, 0);
    assert.deepEqual(s.staging.segmentKeys(), []);
    assert.equal((await s.staging.getUpload(events[0]!.uploadId))!.stagedBytes, 0);
  });
});

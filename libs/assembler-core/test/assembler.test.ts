import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { crc64nvme } from '@sluice/checksums';
import { UploadEvent, type PartEvent } from '@sluice/proto';
import { UnavailableError } from '@sluice/errors';
import { formatOutcome } from '@sluice/storage';
import { Assembler, fullObjectChecksum, outcomeEventId, partChecksum } from '../src/index.ts';
import {
  MiB,
  noChecksumCheck,
  record,
  storeReport,
  sha256,
  silent,
  stageUpload,
  testAssembler,
  testDrive,
  testRedis,
  uploadKeys,
  writeFile,
  type TestDrive,
} from './support.ts';

async function objectBytes(d: TestDrive, key: string): Promise<Buffer | undefined> {
  try {
    const out = await d.client.send(new GetObjectCommand({ Bucket: d.bucket, Key: key }));
    return Buffer.from(await out.Body!.transformToByteArray());
  } catch {
    return undefined;
  }
}

async function multipartUploads(d: TestDrive): Promise<string[]> {
  const out = await d.client.send(new ListMultipartUploadsCommand({ Bucket: d.bucket }));
  return (out.Uploads ?? []).map((u) => u.UploadId ?? '');
}

/** Makes the drive's client answer every CompleteMultipartUpload with NoSuchUpload, as a store that forgot the id. */
function forgetCompletions(d: TestDrive): void {
  d.client.middlewareStack.add(
    (next, context) => (args) => {
      if (context.commandName !== 'CompleteMultipartUploadCommand') return next(args);
      const err = Object.assign(new Error('The specified upload does not exist.'), {
        name: 'NoSuchUpload',
        $metadata: { httpStatusCode: 404 },
      });
      return Promise.reject(err);
    },
    { step: 'initialize', name: 'forgetCompletions' },
  );
}

function completed(events: readonly UploadEvent[]) {
  return events.flatMap((e) =>
    e.event?.$case === 'uploadCompleted' ? [{ envelope: e, value: e.event.value }] : [],
  );
}

describe('Assembler', () => {
  it('completes a multipart upload from its PartStored list, verifies it, announces it and drops its state', async (t) => {
    const r = await testRedis(t);
    const d = await testDrive(t);
    const a = testAssembler(r, d);
    const data = randomBytes(11 * MiB + 123);
    const file = await writeFile(d, { data, sha256: sha256(data), metadata: { owner: 'x' } });
    await stageUpload(r, d, { key: file.key, uploadId: file.uploadId });
    assert.equal(file.partStored.length, 3);

    // Parts out of order, part 2 twice (the later PartStored wins).
    for (const e of [file.partStored[2]!, file.partStored[1]!, file.partStored[0]!, file.partStored[1]!])
      await a.handle(e);
    await a.handle(file.allPartsStored);

    const [done, ...more] = completed(a.sink.events);
    assert.ok(done, 'one UploadCompleted');
    assert.equal(more.length, 0);
    assert.equal(done.envelope.eventId, outcomeEventId(file.uploadId, 'upload-completed'));
    assert.equal(done.envelope.nodeId, file.nodeId);
    assert.equal(done.value.size, BigInt(data.length));
    assert.equal(done.value.crc64nvme, crc64nvme(data));
    assert.deepEqual(Buffer.from(done.value.sha256), sha256(data));
    assert.equal(done.value.partCount, 3);
    assert.equal(done.value.bucket, d.bucket);
    assert.equal(done.value.key, file.key);
    assert.match(done.value.etag, /^[0-9a-f]{32}-3$/);
    assert.equal(done.value.contentType, 'application/x-test');
    assert.deepEqual(done.value.metadata, { owner: 'x' });
    assert.ok(done.value.completedAt instanceof Date);
    assert.deepEqual(await objectBytes(d, file.key), data);
    assert.deepEqual(await uploadKeys(r, file.uploadId), []);
    assert.deepEqual(await multipartUploads(d), []);
  });

  it('announces a single PutObject after verifying it', async (t) => {
    const r = await testRedis(t);
    const d = await testDrive(t);
    const a = testAssembler(r, d);
    const data = randomBytes(1000);
    const file = await writeFile(d, { data });
    await a.handle(file.allPartsStored);
    const [done] = completed(a.sink.events);
    assert.equal(done?.value.size, 1000n);
    assert.equal(done?.value.etag, (file.allPartsStored.event?.value as { etag: string }).etag);
    assert.deepEqual(Buffer.from(done?.value.sha256 ?? []), sha256(data), 'the SHA-256 is announced unasked');
  });

  it('announces the SHA-256 computed on the way in without reading the object back', async (t) => {
    const r = await testRedis(t);
    const d = await testDrive(t);
    const a = testAssembler(r, d);
    const data = randomBytes(6 * MiB + 5);
    const file = await writeFile(d, { data, sha256: sha256(data) });
    for (const e of file.partStored) await a.handle(e);
    await a.handle(file.allPartsStored);
    const [done] = completed(a.sink.events);
    assert.deepEqual(Buffer.from(done?.value.sha256 ?? []), sha256(data));
    assert.equal((await a.metrics.sha256Bytes.get()).values[0]?.value ?? 0, 0, 'no byte read back');
  });

  it('reads the object back when the part-writer has no SHA-256, and announces the one it reads', async (t) => {
    const r = await testRedis(t);
    const d = await testDrive(t);
    const a = testAssembler(r, d);
    const data = randomBytes(6 * MiB + 5);
    const file = await writeFile(d, { data, contentSha256: Buffer.alloc(0) });
    for (const e of file.partStored) await a.handle(e);
    await a.handle(file.allPartsStored);
    const [done] = completed(a.sink.events);
    assert.deepEqual(Buffer.from(done?.value.sha256 ?? []), sha256(data));
    assert.equal((await a.metrics.sha256Bytes.get()).values[0]?.value, data.length);
  });

  it('on a drive that asks for a read-back, fails an object whose bytes are not the ones hashed on the way in', async (t) => {
    const r = await testRedis(t);
    const d = await testDrive(t, { readBack: true });
    const a = testAssembler(r, d);
    const data = randomBytes(3000);
    // The client's hash is right; what the part-writer hashed is not what the store holds.
    const file = await writeFile(d, {
      data,
      sha256: sha256(data),
      contentSha256: sha256(Buffer.from('other')),
    });
    await a.handle(file.allPartsStored);
    const failed = a.sink.events[0]?.event;
    assert.equal(failed?.$case, 'uploadFailed');
    assert.equal(failed.value.errorCode, 'STORAGE_VERIFY_FAILED');
    assert.match(
      failed.value.message,
      /read back is [0-9a-f]{64}, but the bytes Sluice stored there hashed to/,
    );
    assert.equal(await objectBytes(d, file.key), undefined);
    assert.equal((await a.metrics.sha256Bytes.get()).values[0]?.value, data.length);
  });

  it('repeats the same announcement, byte for byte, when AllPartsStored comes again', async (t) => {
    const r = await testRedis(t);
    const d = await testDrive(t);
    const a = testAssembler(r, d);
    const file = await writeFile(d, { data: randomBytes(6 * MiB) });
    for (const e of file.partStored) await a.handle(e);
    a.sink.failNext = 1; // the first announcement is lost: Kafka refused it after the object was complete
    await assert.rejects(a.handle(file.allPartsStored), /simulated Kafka outage/);
    await a.handle(file.allPartsStored);
    await a.handle(file.allPartsStored);
    await a.handle(file.partStored[0]!); // a late PartStored does not bring state back
    assert.equal(a.sink.events.length, 1, 'published once; the third delivery found it published');
    assert.equal(a.sink.attempts.length, 2);
    assert.deepEqual(
      Buffer.from(UploadEvent.encode(a.sink.attempts[1]!).finish()),
      Buffer.from(UploadEvent.encode(a.sink.attempts[0]!).finish()),
    );
    assert.deepEqual(await uploadKeys(r, file.uploadId), []);
    const listed = storeReport?.results.listPartsAfterComplete;
    if (listed !== undefined && listed.kind !== 'supported') {
      // The replay below reconciles with ListParts, which must say the completed upload is gone.
      return t.skip(
        `${storeReport?.store} lists a completed upload's parts (${formatOutcome(listed)}), so a replay past the outcome's TTL fails the upload there`,
      );
    }
    // With its outcome record gone (past its TTL), a replay derives the event again: same id, same object.
    const again = testAssembler(r, d);
    await r.redis.del(r.store.outcomeKey(file.uploadId));
    await again.handle(file.allPartsStored);
    assert.equal(again.sink.events[0]?.eventId, a.sink.events[0]?.eventId);
    const first = a.sink.events[0]!.event!.value as { size: bigint; etag: string; crc64nvme: bigint };
    const second = again.sink.events[0]!.event!.value as typeof first;
    assert.deepEqual([second.size, second.etag, second.crc64nvme], [first.size, first.etag, first.crc64nvme]);
  });

  it('checks HeadObject when the multipart upload is gone, and announces the object already there', async (t) => {
    const r = await testRedis(t);
    const d = await testDrive(t);
    const a = testAssembler(r, d);
    const data = randomBytes(6 * MiB);
    const file = await writeFile(d, { data });
    for (const e of file.partStored) await a.handle(e);
    // An earlier attempt completed it and died before announcing it…
    const mode = d.drive.checksumMode;
    await d.store.completeMultipartUpload(
      { bucket: d.bucket, key: file.key, uploadId: file.multipartUploadId },
      (await r.store.parts(file.uploadId)).map((p) => {
        const checksum = partChecksum(mode, p);
        return { partNumber: p.partNumber, etag: p.etag, ...(checksum ? { checksum } : {}) };
      }),
      fullObjectChecksum(mode, { crc64nvme: crc64nvme(data), crc32c: 0, crc32: 0 }),
    );
    // …and the store has forgotten the upload id, as S3 does some time after a completion.
    forgetCompletions(d);
    await a.handle(file.allPartsStored);
    const [done] = completed(a.sink.events);
    assert.equal(done?.value.size, BigInt(data.length));
    assert.equal((await a.metrics.alreadyComplete.get()).values[0]?.value, 1, 'counted as found complete');
    assert.deepEqual(await objectBytes(d, file.key), data);
  });

  it('fails an upload whose multipart upload is gone with no object, and leaves nothing', async (t) => {
    const r = await testRedis(t);
    const d = await testDrive(t);
    const a = testAssembler(r, d);
    const file = await writeFile(d, { data: randomBytes(6 * MiB) });
    for (const e of file.partStored) await a.handle(e);
    forgetCompletions(d); // aborted behind Sluice's back, say
    await a.handle(file.allPartsStored);
    const failed = a.sink.events[0]?.event;
    assert.equal(failed?.$case, 'uploadFailed');
    assert.equal(failed.value.errorCode, 'STORAGE_VERIFY_FAILED');
    assert.equal(a.sink.events[0]?.eventId, outcomeEventId(file.uploadId, 'upload-failed'));
    assert.deepEqual(await uploadKeys(r, file.uploadId), []);
  });

  it('reconciles a short part list with ListParts', async (t) => {
    const r = await testRedis(t);
    const d = await testDrive(t, { checksumMode: 'crc32c' });
    const a = testAssembler(r, d);
    const data = randomBytes(10 * MiB + 7);
    const file = await writeFile(d, { data });
    await a.handle(file.partStored[0]!); // parts 2 and 3 were never recorded
    await a.handle(file.allPartsStored);
    const [done] = completed(a.sink.events);
    assert.equal(done?.value.partCount, 3);
    assert.deepEqual(await objectBytes(d, file.key), data);
  });

  it('fails the upload and removes the object when the SHA-256 does not match', async (t) => {
    const r = await testRedis(t);
    const d = await testDrive(t);
    const a = testAssembler(r, d);
    const data = randomBytes(6 * MiB);
    const file = await writeFile(d, { data, sha256: sha256(Buffer.from('something else')) });
    for (const e of file.partStored) await a.handle(e);
    await a.handle(file.allPartsStored);
    assert.equal(a.sink.events.length, 1);
    const failed = a.sink.events[0]?.event;
    assert.equal(failed?.$case, 'uploadFailed');
    assert.equal(failed.value.errorCode, 'CHECKSUM_MISMATCH');
    assert.match(
      failed.value.message,
      /SHA-256 .* is [0-9a-f]{64}, but the client declared [0-9a-f]{64}.*removed/,
    );
    assert.equal(await objectBytes(d, file.key), undefined);
    assert.deepEqual(await uploadKeys(r, file.uploadId), []);
  });

  it('moves the object under the quarantine prefix when configured so', async (t) => {
    const r = await testRedis(t);
    const d = await testDrive(t);
    const a = testAssembler(r, d, { quarantine: { mode: 'quarantine', prefix: 'q/' } });
    const data = randomBytes(2000);
    const file = await writeFile(d, { data, sha256: sha256(Buffer.from('not it')) });
    await a.handle(file.allPartsStored);
    assert.equal(a.sink.events[0]?.event?.$case, 'uploadFailed');
    assert.match(
      (a.sink.events[0]?.event?.value as { message: string }).message,
      new RegExp(`q/${file.key}`),
    );
    assert.equal(await objectBytes(d, file.key), undefined);
    assert.deepEqual(await objectBytes(d, `q/${file.key}`), data);
  });

  it('fails the upload, and aborts its multipart upload, when the store refuses the completion', async (t) => {
    const cannot = noChecksumCheck();
    if (cannot) return t.skip(cannot);
    const r = await testRedis(t);
    const d = await testDrive(t);
    const a = testAssembler(r, d);
    const file = await writeFile(d, { data: randomBytes(6 * MiB) });
    for (const e of file.partStored) await a.handle(e);
    const wrong = { ...file.allPartsStored, event: structuredClone(file.allPartsStored.event) } as PartEvent;
    // The part-writer announced a whole-object CRC the parts do not add up to: the store refuses it.
    (wrong.event!.value as { crc64nvme: bigint }).crc64nvme ^= 1n;
    await a.handle(wrong);
    const failed = a.sink.events[0]?.event;
    assert.equal(failed?.$case, 'uploadFailed');
    assert.equal(failed.value.errorCode, 'STORAGE_REJECTED');
    assert.notEqual(failed.value.s3Code, '');
    assert.deepEqual(await multipartUploads(d), [], 'the multipart upload was aborted');
  });

  it('fails, and removes, an object it completed that does not match its CRC', async (t) => {
    const cannot = noChecksumCheck();
    if (cannot) return t.skip(cannot);
    const r = await testRedis(t);
    // In mode none nothing is sent to the store to check; the store still reports its own CRC64NVME.
    const d = await testDrive(t, { checksumMode: 'none' });
    const a = testAssembler(r, d);
    const file = await writeFile(d, { data: randomBytes(6 * MiB) });
    for (const e of file.partStored) await a.handle(e);
    const wrong = { ...file.allPartsStored, event: structuredClone(file.allPartsStored.event) } as PartEvent;
    (wrong.event!.value as { crc64nvme: bigint }).crc64nvme ^= 1n;
    await a.handle(wrong);
    const failed = a.sink.events[0]?.event;
    assert.equal(failed?.$case, 'uploadFailed');
    assert.equal(failed.value.errorCode, 'STORAGE_VERIFY_FAILED');
    assert.match(failed.value.message, /crc64nvme is .*, expected .*the object was removed/);
    assert.equal(await objectBytes(d, file.key), undefined);
  });

  it('leaves an object it cannot prove it wrote when verification fails', async (t) => {
    const r = await testRedis(t);
    const d = await testDrive(t);
    const a = testAssembler(r, d);
    const file = await writeFile(d, { data: randomBytes(1000) });
    // Someone overwrote the key after the part-writer's PutObject.
    await d.client.send(
      new PutObjectCommand({ Bucket: d.bucket, Key: file.key, Body: Buffer.from('other') }),
    );
    await a.handle(file.allPartsStored);
    const failed = a.sink.events[0]?.event;
    assert.equal(failed?.$case, 'uploadFailed');
    assert.equal(failed.value.errorCode, 'STORAGE_VERIFY_FAILED');
    assert.match(failed.value.message, /left in place/);
    assert.ok(await d.client.send(new HeadObjectCommand({ Bucket: d.bucket, Key: file.key })));
  });

  it("passes the part-writer's UploadFailed and UploadAborted on, aborting the multipart upload", async (t) => {
    const r = await testRedis(t);
    const d = await testDrive(t);
    const a = testAssembler(r, d);
    const file = await writeFile(d, { data: randomBytes(6 * MiB) });
    await stageUpload(r, d, { key: file.key, uploadId: file.uploadId });
    await a.handle(file.partStored[0]!);
    const base = { ...file.allPartsStored, eventId: 'f' };
    await a.handle({
      ...base,
      event: { $case: 'uploadFailed', value: { errorCode: 'STAGING_LOST', message: 'gone', s3Code: '' } },
    });
    await a.handle({ ...base, event: { $case: 'uploadAborted', value: { reason: 'late abort' } } });
    assert.equal(a.sink.events.length, 1, 'the later abort finds the upload failed');
    assert.deepEqual(a.sink.events[0]?.event, {
      $case: 'uploadFailed',
      value: { errorCode: 'STAGING_LOST', message: 'gone', s3Code: '' },
    });
    assert.deepEqual(await multipartUploads(d), []);
    assert.deepEqual(await uploadKeys(r, file.uploadId), []);

    const other = await writeFile(d, { data: randomBytes(10) });
    await a.handle({
      ...other.allPartsStored,
      event: { $case: 'uploadAborted', value: { reason: 'client' } },
    });
    assert.deepEqual(a.sink.events[1]?.event, { $case: 'uploadAborted', value: { reason: 'client' } });
    assert.equal(a.sink.events[1]?.eventId, outcomeEventId(other.uploadId, 'upload-aborted'));
  });

  it('fails the upload of a dead-lettered AllPartsStored with the error that sent it there', async (t) => {
    const r = await testRedis(t);
    const d = await testDrive(t);
    const file = await writeFile(d, { data: randomBytes(10) });
    const a = testAssembler(r, d);
    const withDecode = new Assembler({
      tenants: d.tenants,
      objects: d.objects,
      store: r.store,
      publisher: a.publisher,
      logger: silent,
      metrics: a.metrics,
      decode: () => Promise.resolve(file.allPartsStored),
    });
    await withDecode.onDeadLetter({
      ...record(file.allPartsStored),
      key: Buffer.from(file.nodeId),
      value: Buffer.from('frame'),
      headers: new Map(),
      error: new UnavailableError('STORAGE_UNAVAILABLE', 'the store was down for ten minutes'),
      attempts: 10,
    });
    const failed = a.sink.events[0]?.event;
    assert.equal(failed?.$case, 'uploadFailed');
    assert.deepEqual(failed.value, {
      errorCode: 'STORAGE_UNAVAILABLE',
      message: 'the store was down for ten minutes',
      s3Code: '',
    });
  });

  it('stops right after CompleteMultipartUpload when the hook throws, and a retry announces once', async (t) => {
    const r = await testRedis(t);
    const d = await testDrive(t);
    let crash = true;
    const a = testAssembler(r, d, {
      hooks: {
        afterComplete: () => {
          if (crash) throw new Error('crash point');
        },
      },
    });
    const data = randomBytes(6 * MiB);
    const file = await writeFile(d, { data });
    for (const e of file.partStored) await a.handle(e);
    await assert.rejects(a.handle(file.allPartsStored), /crash point/);
    assert.equal(a.sink.events.length, 0);
    crash = false;
    await a.handle(file.allPartsStored);
    assert.equal(completed(a.sink.events).length, 1);
    assert.deepEqual(await objectBytes(d, file.key), data);
  });
});

/**
 * The behaviour every {@link ObjectStore} adapter owes Sluice, as one suite (tus-node-server's
 * `shouldCreateUploads()`): a test file calls {@link objectStoreSuite} with a factory that
 * makes a store and an empty bucket of the test's own, and cleans them up with `t.after`.
 *
 * Given the probe's findings on the store (store-report.ts), the tests that depend on what a
 * store does use the checksum mode Sluice recommends for it and expect the answers it is known
 * to give; without them they expect what S3 does.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { crc32, crc32c, crc64nvme } from '@sluice/checksums';
import type { ChecksumMode } from '@sluice/proto';
import {
  checksumOfBytes,
  formatOutcome,
  type ListedPart,
  type ObjectBody,
  type ObjectStore,
  type Outcome,
  type StoreReport,
} from '../src/index.ts';
import { answersNoSuchUpload, checksumModeOn, refusalStatus } from './store-report.ts';

/** A store and an empty bucket on it, for one test. */
export interface ObjectStoreFixture {
  readonly store: ObjectStore;
  readonly bucket: string;
}

/**
 * Makes a fixture for test `t`. Objects larger than {@link SUITE_COPY_LIMIT} must be moved
 * part by part, so both ways of moving are exercised.
 */
export type ObjectStoreFactory = (t: TestContext) => Promise<ObjectStoreFixture>;

export const MiB = 1024 * 1024;
/** The copy limit the factory gives its store (S3's is 5 GiB, too large for a test). */
export const SUITE_COPY_LIMIT = 5 * MiB;

/** A body of `bytes`, in pieces of at most `piece` bytes, with its true CRCs. */
export function bodyOf(bytes: Buffer, piece = 1 * MiB): ObjectBody {
  const pieces: Buffer[] = [];
  for (let at = 0; at < bytes.length; at += piece) pieces.push(bytes.subarray(at, at + piece));
  return {
    pieces,
    length: bytes.length,
    crcs: { crc64nvme: crc64nvme(bytes), crc32c: crc32c(bytes), crc32: crc32(bytes) },
  };
}

function md5(bytes: Buffer): string {
  return createHash('md5').update(bytes).digest('hex');
}

function sha256(bytes: Buffer): Buffer {
  return createHash('sha256').update(bytes).digest();
}

function multipartEtag(partEtags: readonly string[]): string {
  const whole = createHash('md5');
  for (const e of partEtags) whole.update(Buffer.from(e, 'hex'));
  return `${whole.digest('hex')}-${partEtags.length}`;
}

async function refusal(
  promise: Promise<unknown>,
): Promise<{ code: string; retriable: boolean; s3Code: unknown }> {
  const err = await promise.then(
    () => assert.fail('the store accepted what it must refuse'),
    (e: unknown) => e as { code: string; retriable: boolean; details: Record<string, unknown> },
  );
  return { code: err.code, retriable: err.retriable, s3Code: err.details['s3Code'] };
}

/**
 * Asserts that `call`, a request about an upload that is gone, meets the answer the probe found
 * the store gives where S3 answers NoSuchUpload: accepted (and what it resolves with passes
 * `accepted`), or refused with the same HTTP status (retriable when it is a server error).
 */
async function knownAnswer<T>(
  outcome: Outcome,
  call: Promise<T>,
  accepted: (value: T) => void = () => undefined,
): Promise<void> {
  if (outcome.kind === 'ignored') {
    accepted(await call);
    return;
  }
  const status = refusalStatus(outcome);
  assert.ok(status !== undefined, `the probe found no refusal with a status: ${formatOutcome(outcome)}`);
  const err = await call.then(
    () => assert.fail(`the store accepted it; the probe found ${formatOutcome(outcome)}`),
    (e: unknown) => e as { code: string; retriable: boolean; details: Record<string, unknown> },
  );
  assert.deepEqual(
    [err.code, err.retriable, err.details['httpStatus']],
    status >= 500 ? ['STORAGE_UNAVAILABLE', true, status] : ['STORAGE_REJECTED', false, status],
  );
}

/**
 * Registers the shared tests of the {@link ObjectStore} interface against the stores `factory`
 * makes; `report` is what the probe found on that store, when the caller knows.
 */
export function objectStoreSuite(name: string, factory: ObjectStoreFactory, report?: StoreReport): void {
  const modeFor = (wanted: ChecksumMode): ChecksumMode => checksumModeOn(report, wanted);
  /** ListParts of an upload that is gone: NoSuchUpload, or what the probe found the store answers. */
  const partsGone = async (
    listed: Promise<ListedPart[] | 'no-such-upload'>,
    message: string,
  ): Promise<void> => {
    const known = report?.results.listPartsAfterComplete;
    if (known === undefined || known.kind === 'supported') {
      assert.equal(await listed, 'no-such-upload', message);
    } else {
      await knownAnswer(known, listed, (v) => assert.ok(Array.isArray(v), formatOutcome(known)));
    }
  };
  describe(`ObjectStore: ${name}`, () => {
    describe('multipart uploads', () => {
      it('uploads parts in any order, lists them, and completes them into one object', async (t) => {
        const { store, bucket } = await factory(t);
        const mode = modeFor('crc64nvme');
        const target = { bucket, key: 'mp/a', checksumMode: mode };
        const one = randomBytes(5 * MiB);
        const two = randomBytes(1000);
        const uploadId = await store.createMultipartUpload(target, { contentType: 'application/x-test' });
        const etag2 = await store.uploadPart(target, uploadId, 2, bodyOf(two));
        const etag1 = await store.uploadPart(target, uploadId, 1, bodyOf(one));
        assert.equal(etag1, md5(one), 'a part ETag is the bare MD5 of its bytes');
        assert.equal(etag2, md5(two));
        const ref = { bucket, key: target.key, uploadId };

        const listed = await store.listParts(ref, mode);
        const part = (partNumber: number, etag: string, bytes: Buffer): object => ({
          partNumber,
          etag,
          size: bytes.length,
          ...(mode === 'none' ? {} : { checksum: checksumOfBytes(mode, bytes) }),
        });
        assert.deepEqual(listed, [part(1, etag1, one), part(2, etag2, two)]);

        const whole = Buffer.concat([one, two]);
        const checksum =
          mode === 'none' ? undefined : { algorithm: mode, base64: checksumOfBytes(mode, whole) };
        // Listed in reverse: the store sends them in ascending order, as S3 requires.
        const done = await store.completeMultipartUpload(ref, [...listed].reverse(), checksum);
        assert.ok(done.status === 'completed');
        assert.equal(done.etag, multipartEtag([etag1, etag2]), 'the S3-style multipart ETag, bare');

        const head = await store.headObject({ bucket, key: target.key, versionId: done.versionId });
        assert.equal(head?.size, whole.length);
        assert.equal(head?.etag, done.etag);
        const versions = report?.results.completeVersionId;
        if (versions === undefined || versions.kind === 'supported') {
          assert.equal(head?.versionId, done.versionId);
        } else {
          // Found by the version id Complete gave, the object is the one above; the store names its
          // version otherwise to HeadObject (moto: `null`, then none).
          assert.notEqual(head?.versionId, done.versionId, formatOutcome(versions));
        }
        if (checksum) {
          assert.equal(
            head?.checksums[checksum.algorithm],
            checksum.base64,
            'the full-object checksum is reported',
          );
        }
        assert.deepEqual(await store.sha256OfObject({ bucket, key: target.key, versionId: '' }), {
          sha256: sha256(whole),
          size: whole.length,
        });
        await partsGone(store.listParts(ref, mode), 'a completed upload is gone');
        assert.equal(await store.abortMultipartUpload(ref), 'gone');
        const late = store.uploadPart(target, uploadId, 3, bodyOf(two));
        const known = report?.results.partAfterComplete;
        if (known === undefined || known.kind === 'supported') {
          assert.deepEqual(await refusal(late), {
            code: 'STORAGE_REJECTED',
            retriable: false,
            s3Code: 'NoSuchUpload',
          });
        } else {
          await knownAnswer(known, late);
        }
      });

      it('completes in mode none with no checksum, and a part uploaded again replaces the first', async (t) => {
        const { store, bucket } = await factory(t);
        const target = { bucket, key: 'mp/none', checksumMode: 'none' as ChecksumMode };
        const uploadId = await store.createMultipartUpload(target);
        const first = randomBytes(2000);
        const again = randomBytes(3000);
        await store.uploadPart(target, uploadId, 1, bodyOf(first));
        const etag = await store.uploadPart(target, uploadId, 1, bodyOf(again));
        const ref = { bucket, key: target.key, uploadId };
        assert.deepEqual(await store.listParts(ref, 'none'), [{ partNumber: 1, etag, size: again.length }]);
        const done = await store.completeMultipartUpload(ref, [{ partNumber: 1, etag }], undefined);
        assert.equal(done.status, 'completed');
        const read = await store.sha256OfObject({ bucket, key: target.key, versionId: '' });
        assert.deepEqual(read, { sha256: sha256(again), size: again.length });
      });

      it('refuses a part that is too small but not last, and a part it never received', async (t) => {
        const { store, bucket } = await factory(t);
        const target = { bucket, key: 'mp/small', checksumMode: 'none' as ChecksumMode };
        const uploadId = await store.createMultipartUpload(target);
        const ref = { bucket, key: target.key, uploadId };
        const a = await store.uploadPart(target, uploadId, 1, bodyOf(randomBytes(1024)));
        const b = await store.uploadPart(target, uploadId, 2, bodyOf(randomBytes(1024)));
        const small = await refusal(
          store.completeMultipartUpload(
            ref,
            [
              { partNumber: 1, etag: a },
              { partNumber: 2, etag: b },
            ],
            undefined,
          ),
        );
        assert.deepEqual(small, { code: 'STORAGE_REJECTED', retriable: false, s3Code: 'EntityTooSmall' });
        const unknown = await refusal(
          store.completeMultipartUpload(ref, [{ partNumber: 3, etag: '0'.repeat(32) }], undefined),
        );
        assert.equal(unknown.code, 'STORAGE_REJECTED');
        assert.equal(unknown.retriable, false);
        // Refused completions leave the upload as it was.
        assert.equal((await store.listParts(ref, 'none')) instanceof Array, true);
        assert.equal(await store.abortMultipartUpload(ref), 'aborted');
      });

      it('answers NoSuchUpload for an upload id it does not know', async (t) => {
        const { store, bucket } = await factory(t);
        const ref = { bucket, key: 'k', uploadId: 'nope' };
        const gone = store.completeMultipartUpload(ref, [{ partNumber: 1, etag: '0'.repeat(32) }], undefined);
        const known = report?.results.completeUnknownUpload;
        if (known === undefined || answersNoSuchUpload(known)) {
          assert.deepEqual(await gone, { status: 'no-such-upload' });
        } else {
          await knownAnswer(known, gone);
        }
        const created = await store.createMultipartUpload({ bucket, key: 'k', checksumMode: 'none' });
        const refused = await refusal(
          store.completeMultipartUpload(
            { bucket, key: 'k', uploadId: created },
            [{ partNumber: 1, etag: '0'.repeat(32) }],
            undefined,
          ),
        );
        assert.deepEqual([refused.code, refused.retriable], ['STORAGE_REJECTED', false]);
      });

      it('lists unfinished uploads under a prefix, and aborts each once', async (t) => {
        const { store, bucket } = await factory(t);
        const a = await store.createMultipartUpload({ bucket, key: 'p/1', checksumMode: 'none' });
        await store.createMultipartUpload({ bucket, key: 'other/2', checksumMode: modeFor('crc32c') });
        const found = [];
        for await (const u of store.listMultipartUploads(bucket, 'p/')) found.push(u);
        assert.deepEqual(
          found.map((u) => [u.key, u.uploadId]),
          [['p/1', a]],
        );
        assert.ok(found[0]?.initiated instanceof Date);
        const all = [];
        for await (const u of store.listMultipartUploads(bucket, '')) all.push(u.key);
        assert.deepEqual(all.sort(), ['other/2', 'p/1']);

        const ref = { bucket, key: 'p/1', uploadId: a };
        assert.equal(await store.abortMultipartUpload(ref), 'aborted');
        assert.equal(await store.abortMultipartUpload(ref), 'gone');
        // The probe lists a completed upload's parts; a store answers an aborted one the same way.
        await partsGone(store.listParts(ref, 'none'), 'an aborted upload is gone');
        const left = [];
        for await (const u of store.listMultipartUploads(bucket, 'p/')) left.push(u);
        assert.deepEqual(left, []);
      });
    });

    describe('objects', () => {
      it('puts an object with its checksum, and heads and hashes it', async (t) => {
        const { store, bucket } = await factory(t);
        const data = randomBytes(3 * MiB + 5);
        const mode = modeFor('crc32c');
        const put = await store.putObject({ bucket, key: 'a/b', checksumMode: mode }, bodyOf(data), {
          contentType: 'text/plain',
        });
        assert.equal(put.etag, md5(data), 'the ETag is the bare MD5');
        const head = await store.headObject({ bucket, key: 'a/b', versionId: put.versionId });
        assert.equal(head?.size, data.length);
        assert.equal(head?.etag, put.etag);
        if (mode !== 'none') assert.equal(head?.checksums[mode], checksumOfBytes(mode, data));
        const read = await store.sha256OfObject({ bucket, key: 'a/b', versionId: '' });
        assert.deepEqual(read, { sha256: sha256(data), size: data.length });
        assert.equal(await store.headObject({ bucket, key: 'a/none', versionId: '' }), undefined);
      });

      it('puts an empty object', async (t) => {
        const { store, bucket } = await factory(t);
        const put = await store.putObject(
          { bucket, key: 'empty', checksumMode: modeFor('crc64nvme') },
          bodyOf(Buffer.alloc(0)),
        );
        assert.equal(put.etag, md5(Buffer.alloc(0)));
        assert.equal((await store.headObject({ bucket, key: 'empty', versionId: '' }))?.size, 0);
      });

      it('refuses a body whose checksum does not match its bytes', async (t) => {
        const mode = modeFor('crc64nvme');
        if (report !== undefined && mode === 'none') {
          const found = `CRC64NVME ${formatOutcome(report.results.crc64nvmeFullObject)}, CRC32C ${formatOutcome(report.results.crc32cFullObject)}`;
          t.skip(
            `${report.store} does not support full-object checksums: ${found}; its drives use checksumMode none, which sends no checksum to check`,
          );
          return;
        }
        const { store, bucket } = await factory(t);
        const data = randomBytes(4096);
        const right = bodyOf(data).crcs;
        // Every CRC is off by one bit; only the mode's is sent.
        const crcs = {
          crc64nvme: right.crc64nvme ^ 1n,
          crc32c: (right.crc32c ^ 1) >>> 0,
          crc32: (right.crc32 ^ 1) >>> 0,
        };
        const wrong = { ...bodyOf(data), crcs };
        const e = await refusal(store.putObject({ bucket, key: 'bad', checksumMode: mode }, wrong));
        assert.equal(e.code, 'STORAGE_REJECTED');
        assert.equal(e.retriable, false);
        assert.equal(await store.headObject({ bucket, key: 'bad', versionId: '' }), undefined);
        const target = { bucket, key: 'bad-part', checksumMode: mode };
        const uploadId = await store.createMultipartUpload(target);
        const p = await refusal(store.uploadPart(target, uploadId, 1, wrong));
        assert.deepEqual([p.code, p.retriable], ['STORAGE_REJECTED', false]);
        assert.deepEqual(await store.listParts({ bucket, key: target.key, uploadId }, mode), []);
      });

      it('reports a missing object: undefined to head, a refusal to read, success to delete', async (t) => {
        const { store, bucket } = await factory(t);
        const ref = { bucket, key: 'missing', versionId: '' };
        assert.equal(await store.headObject(ref), undefined);
        const read = await refusal(store.sha256OfObject(ref));
        assert.deepEqual([read.code, read.retriable], ['STORAGE_REJECTED', false]);
        await store.deleteObject(ref);
      });

      it('deletes an object, and deleting it again succeeds', async (t) => {
        const { store, bucket } = await factory(t);
        await store.putObject({ bucket, key: 'd', checksumMode: 'none' }, bodyOf(randomBytes(10)));
        const ref = { bucket, key: 'd', versionId: '' };
        assert.notEqual(await store.headObject(ref), undefined);
        await store.deleteObject(ref);
        assert.equal(await store.headObject(ref), undefined);
        await store.deleteObject(ref);
      });

      it('moves an object, part by part above the copy limit, and treats a second move as done', async (t) => {
        const { store, bucket } = await factory(t);
        for (const size of [1000, SUITE_COPY_LIMIT + MiB]) {
          const data = randomBytes(size);
          const key = `x/${size}`;
          await store.putObject({ bucket, key, checksumMode: 'none' }, bodyOf(data));
          const move = { bucket, key, versionId: '', size, to: `q/${key}` };
          assert.equal(await store.moveObject(move), 'moved');
          assert.deepEqual(await store.sha256OfObject({ bucket, key: move.to, versionId: '' }), {
            sha256: sha256(data),
            size,
          });
          assert.equal(await store.headObject({ bucket, key, versionId: '' }), undefined);
          assert.equal(await store.moveObject(move), 'gone');
        }
      });
    });

    describe('failures', () => {
      it('treats a missing bucket as a refusal, and an abort in it as done', async (t) => {
        const { store, bucket } = await factory(t);
        const missing = `${bucket}-none`;
        const e = await refusal(
          store.createMultipartUpload({ bucket: missing, key: 'k', checksumMode: 'none' }),
        );
        assert.deepEqual(e, { code: 'STORAGE_REJECTED', retriable: false, s3Code: 'NoSuchBucket' });
        assert.equal(await store.abortMultipartUpload({ bucket: missing, key: 'k', uploadId: 'u' }), 'gone');
      });

      it('fails a call whose signal was aborted, as one to retry', async (t) => {
        const { store, bucket } = await factory(t);
        const signal = AbortSignal.abort();
        const e = await refusal(store.headObject({ bucket, key: 'k', versionId: '' }, signal));
        assert.deepEqual([e.code, e.retriable], ['STORAGE_UNAVAILABLE', true]);
      });
    });
  });
}

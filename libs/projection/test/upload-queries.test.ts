import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { SluiceError } from '@sluice/errors';
import {
  encodePageToken,
  syntheticUpload,
  toProjectionEvent,
  toUploadJson,
  toUploadState,
  type ProjectionRecord,
  type SyntheticOutcome,
  type UploadReader,
} from '../src/index.ts';
import { DATABASES, type OpenTestProjection, type TestProjection } from './db.ts';

const T0 = Date.UTC(2026, 4, 1);

/** Records of synthetic uploads, each topic's events numbered from offset 0. */
function recordsOf(uploads: readonly Parameters<typeof syntheticUpload>[0][]): ProjectionRecord[] {
  const offsets = new Map<string, bigint>();
  const batch: ProjectionRecord[] = [];
  for (const upload of uploads) {
    for (const e of syntheticUpload(upload).events) {
      const offset = offsets.get(e.topic) ?? 0n;
      offsets.set(e.topic, offset + 1n);
      batch.push({
        topic: e.topic,
        partition: 0,
        offset,
        event: toProjectionEvent(e.topic, e.envelope, new Date(0)),
      });
    }
  }
  return batch;
}

/** 12 uploads: tenants acme/globex alternating, drives a/b, outcomes cycling, created one second apart. */
async function seeded(t: TestContext, open: OpenTestProjection): Promise<UploadReader> {
  const db = await open(t);
  const outcomes: SyntheticOutcome[] = ['completed', 'failed', 'aborted', 'open'];
  const batch = recordsOf(
    Array.from({ length: 12 }, (_, i) => ({
      uploadId: `u${String(i).padStart(2, '0')}`,
      tenant: i % 2 === 0 ? 'acme' : 'globex',
      drive: i % 3 === 0 ? 'b' : 'a',
      outcome: outcomes[i % 4]!,
      chunks: 3,
      chunkSize: 10,
      // u00 and u01 share a creation time: the upload id orders them.
      start: new Date(T0 + Math.max(0, i - 1) * 1000),
    })),
  );
  await db.db.store('g').apply(batch);
  return db.db.queries();
}

async function allPages(q: UploadReader, pageSize: number, tenant?: string): Promise<[string[], number]> {
  const seen: string[] = [];
  let token = '';
  let pages = 0;
  do {
    const page = await q.list({ tenant, pageSize, pageToken: token });
    seen.push(...page.uploads.map((u) => u.uploadId));
    token = page.nextPageToken;
    pages++;
  } while (token !== '');
  return [seen, pages];
}

/** The behaviour every read side shares. */
function shouldReadUploads(open: OpenTestProjection): void {
  it('answers one upload with its staged chunks, and only to its tenant', async (t) => {
    const q = await seeded(t, open);
    const view = await q.get('u00', { tenant: 'acme', withChunks: true });
    assert.equal(view.status, 'COMPLETED');
    assert.deepEqual(view.stagedChunks, [0, 1, 2]);
    assert.deepEqual(view.metadata, { origin: 'synthetic', upload: 'u00' });
    assert.equal(view.bytesStaged, 30n);
    assert.equal(await q.find('u00', { tenant: 'globex' }), undefined);
    await assert.rejects(q.get('nope'), (err: unknown) => {
      assert.ok(err instanceof SluiceError);
      assert.equal(err.code, 'UPLOAD_NOT_FOUND');
      assert.equal(err.httpStatus, 404);
      return true;
    });
  });

  it('maps a view onto the gRPC UploadState and the HTTP body', async (t) => {
    const q = await seeded(t, open);
    const view = await q.get('u01', { withChunks: true });
    const state = toUploadState(view);
    assert.equal(state.status, 6); // UPLOAD_STATUS_FAILED
    assert.equal(state.errorCode, 'STORAGE_REJECTED');
    assert.deepEqual(state.stagedChunks, [0, 1, 2]);
    const json = toUploadJson(view);
    assert.equal(json['status'], 'FAILED');
    assert.deepEqual(json['error'], {
      code: 'STORAGE_REJECTED',
      message: 'the store refused part 2',
      s3_code: 'AccessDenied',
    });
    assert.equal(json['created_at'], new Date(T0).toISOString());
  });

  it('lists newest first with filters, page after page without repeats or gaps', async (t) => {
    const q = await seeded(t, open);
    const all = await q.list({ pageSize: 100 });
    assert.deepEqual(
      all.uploads.map((u) => u.uploadId),
      ['u11', 'u10', 'u09', 'u08', 'u07', 'u06', 'u05', 'u04', 'u03', 'u02', 'u01', 'u00'],
    );
    assert.equal(all.nextPageToken, '');
    // A page boundary between two uploads created in the same millisecond loses neither.
    const first = await q.list({ pageSize: 11 });
    assert.equal(first.uploads.at(-1)?.uploadId, 'u01');
    assert.deepEqual(
      (await q.list({ pageSize: 11, pageToken: first.nextPageToken })).uploads.map((u) => u.uploadId),
      ['u00'],
    );

    assert.deepEqual(await allPages(q, 2, 'acme'), [['u10', 'u08', 'u06', 'u04', 'u02', 'u00'], 3]);

    const completed = await q.list({ tenant: 'acme', status: 'COMPLETED' });
    assert.deepEqual(
      completed.uploads.map((u) => u.uploadId),
      ['u08', 'u04', 'u00'],
    );
    const ended = await q.list({ status: ['FAILED', 'ABORTED'] });
    assert.deepEqual(
      ended.uploads.map((u) => u.uploadId),
      ['u10', 'u09', 'u06', 'u05', 'u02', 'u01'],
    );
    const driveB = await q.list({ drive: 'b' });
    assert.deepEqual(
      driveB.uploads.map((u) => u.uploadId),
      ['u09', 'u06', 'u03', 'u00'],
    );
    const window = await q.list({ createdAfter: new Date(T0 + 2000), createdBefore: new Date(T0 + 5000) });
    assert.deepEqual(
      window.uploads.map((u) => u.uploadId),
      ['u05', 'u04', 'u03'],
    );
  });

  it('orders upload ids created in the same millisecond by their bytes, on every page', async (t) => {
    const db = await open(t);
    // Byte order; a linguistic collation would put these otherwise (case folded, punctuation ignored).
    const ids = ['~t', 'a1', '_x', 'Z9', 'B1', 'A2', 'A-2'];
    await db.db.store('g').apply(
      recordsOf(
        ids.map((uploadId) => ({
          uploadId,
          tenant: 't',
          drive: 'd',
          outcome: 'open' as const,
          start: new Date(T0 + 0.5),
        })),
      ),
    );
    const q = db.db.queries();
    for (const size of [1, 2, 3, 100]) assert.deepEqual((await allPages(q, size))[0], ids);
  });

  it('gives up a query that does not answer in time with DATABASE_UNAVAILABLE, retriable', async (t) => {
    const db: TestProjection = await open(t);
    const q = db.db.queries({ queryTimeoutMs: 300 });
    // Another session holds the table: the read waits on its lock.
    const release = await db.lockUploads();
    await assert.rejects(q.find('u00'), (err: unknown) => {
      assert.ok(err instanceof SluiceError);
      assert.equal(err.code, 'DATABASE_UNAVAILABLE');
      assert.equal(err.retriable, true);
      return true;
    });
    await release();
    assert.equal(await q.find('u00'), undefined);
  });

  it('refuses a malformed page token or page size', async (t) => {
    const q = await seeded(t, open);
    for (const query of [{ pageToken: 'garbage' }, { pageSize: 0.5 }, { pageSize: 5000 }]) {
      await assert.rejects(
        q.list(query),
        (err: unknown) => err instanceof SluiceError && err.code === 'INVALID_ARGUMENT',
      );
    }
    // A token this API issued is accepted even for a position with no upload left after it.
    assert.deepEqual(
      (await q.list({ pageToken: encodePageToken({ createdAt: new Date(0), uploadId: 'a' }) })).uploads,
      [],
    );
  });
}

for (const { name, open } of DATABASES) {
  describe(`UploadReader on ${name}`, () => shouldReadUploads(open));
}

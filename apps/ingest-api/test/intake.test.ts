import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { status, type Metadata, type ServiceError } from '@grpc/grpc-js';
import { crc32c, crc32cToBase64 } from '@sluice/checksums';
import type { InitiateUploadRequest, IntakeServiceClient, UploadChunkRequest } from '@sluice/proto';
import { startIngest, type Harness } from './harness.ts';

const MiB = 1024 * 1024;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

async function initiate(h: Harness, extra: Partial<InitiateUploadRequest> = {}, md: Metadata = h.auth()) {
  const { err, res } = await h.rpc.initiate({ drive: 'docs', filename: 'f.bin', ...extra }, md);
  assert.equal(err, null, err?.details);
  assert.ok(res);
  return res;
}

function unary(
  h: Harness,
  uploadId: string,
  chunkNumber: number,
  data: Buffer,
  extra: Partial<UploadChunkRequest> = {},
) {
  return h.rpc.chunk({ uploadId, chunkNumber, data, ...extra }, h.auth());
}

/** Sends a chunk through UploadChunkStream in 1 MiB frames. */
function streamed(
  client: IntakeServiceClient,
  md: Metadata,
  uploadId: string,
  chunkNumber: number,
  data: Buffer,
  crc32c = '',
) {
  return new Promise<{ err: ServiceError | null; res?: { duplicate: boolean; sha256: string } }>(
    (resolve) => {
      const s = client.uploadChunkStream(md, (err, res) => resolve({ err, res }));
      s.write({
        frame: {
          $case: 'header',
          value: {
            uploadId,
            chunkNumber,
            size: BigInt(data.length),
            sha256: sha(data),
            force: false,
            crc32c,
          },
        },
      });
      for (let o = 0; o < data.length; o += MiB)
        s.write({ frame: { $case: 'data', value: data.subarray(o, o + MiB) } });
      s.end();
    },
  );
}

async function stagedBytes(h: Harness, uploadId: string, chunk: number): Promise<Buffer> {
  const record = await h.staging.getChunk(uploadId, chunk);
  assert.ok(record, `chunk ${chunk} has a record`);
  return Buffer.concat(await h.staging.readRange(h.staging.segmentsOf(uploadId, record), 0, record.size));
}

describe('ingest-api intake', { timeout: 120_000 }, () => {
  it('stages chunks of any size in any order, once each, and announces exactly those', async (t) => {
    const h = await startIngest(t);
    const up = await initiate(h);
    const sizes = [1, 17, MiB - 1, MiB, MiB + 1, 3 * MiB + 5, 20 * MiB, 7];
    const chunks = sizes.map((size) => randomBytes(size));
    const order = chunks.map((_, i) => i).sort(() => Math.random() - 0.5);
    for (const n of order) {
      const data = chunks[n] as Buffer;
      const { err, res } =
        data.length > 16 * MiB
          ? await streamed(h.client, h.auth(), up.uploadId, n, data)
          : await unary(h, up.uploadId, n, data);
      assert.equal(err, null, `chunk ${n}: ${err?.message}`);
      assert.equal(res?.duplicate, false);
      assert.equal(res?.sha256, sha(data));
    }
    // Retries of the same bytes are acknowledged again without staging or announcing anything.
    for (const n of [0, 6]) {
      const data = chunks[n] as Buffer;
      const { err, res } =
        n === 6
          ? await streamed(h.client, h.auth(), up.uploadId, n, data)
          : await unary(h, up.uploadId, n, data);
      assert.equal(err, null);
      assert.equal(res?.duplicate, true);
    }
    // A forced replacement (same size) replaces the bytes and is announced again.
    const replacement = randomBytes(MiB + 1);
    const forced = await unary(h, up.uploadId, 4, replacement, { force: true });
    assert.equal(forced.err, null);
    assert.equal(forced.res?.duplicate, false);
    chunks[4] = replacement;

    for (const [n, data] of chunks.entries())
      assert.ok((await stagedBytes(h, up.uploadId, n)).equals(data), `chunk ${n}`);
    const meta = await h.staging.getUpload(up.uploadId);
    assert.equal(
      meta?.stagedBytes,
      sizes.reduce((a, b) => a + b, 0),
    );

    const events = await h.events();
    assert.equal(events[0]?.event?.$case, 'uploadInitiated');
    const uploaded = events.filter((e) => e.event?.$case === 'chunkUploaded');
    assert.equal(uploaded.length, chunks.length + 1, 'one event per staged write, none for duplicates');
    assert.equal(new Set(events.map((e) => e.eventId)).size, events.length);
    for (const e of events) {
      assert.equal(e.uploadId, up.uploadId);
      assert.equal(e.nodeId, up.nodeId);
      assert.equal(e.tenant, 'acme');
    }
    // The last event of each chunk names the bytes that are staged now.
    const latest = new Map<number, (typeof uploaded)[number]>();
    for (const e of uploaded)
      if (e.event?.$case === 'chunkUploaded') latest.set(e.event.value.chunkNumber, e);
    for (const [n, data] of chunks.entries()) {
      const e = latest.get(n);
      assert.ok(e?.event?.$case === 'chunkUploaded');
      const v = e.event.value;
      assert.equal(v.size, BigInt(data.length));
      assert.equal(Buffer.from(v.sha256).toString('hex'), sha(data));
      const pieces = await h.staging.readRange(
        { prefix: v.segmentKeyPrefix, segmentSize: v.segmentSize, segmentCount: v.segmentCount },
        0,
        data.length,
      );
      assert.ok(Buffer.concat(pieces).equals(data), `event of chunk ${n} names its staged bytes`);
      assert.equal(v.generation, n === 4 ? 1 : 0);
    }
  });

  it('stores and announces nothing when the bytes do not match the checksum sent', async (t) => {
    const h = await startIngest(t);
    const up = await initiate(h);
    const data = randomBytes(3 * MiB);
    const { err } = await unary(h, up.uploadId, 0, data, { sha256: sha(randomBytes(8)) });
    assert.equal(err?.code, status.INVALID_ARGUMENT);
    assert.match(err?.details ?? '', /nothing was stored/);
    assert.equal(err?.metadata.get('sluice-error-code')[0], 'CHECKSUM_MISMATCH');
    assert.equal(await h.staging.getChunk(up.uploadId, 0), undefined);
    assert.deepEqual(await h.staging.redis.keys(`${h.staging.keys.segmentPrefix(up.uploadId, 0, '*')}`), []);
    assert.deepEqual(
      (await h.events()).map((e) => e.event?.$case),
      ['uploadInitiated'],
    );
    // A checksum given in base64 is verified the same way.
    const ok = await unary(h, up.uploadId, 0, data, {
      sha256: createHash('sha256').update(data).digest('base64'),
    });
    assert.equal(ok.err, null);
  });

  it('verifies a CRC32C sent with a chunk, in base64 or hex, unary or streamed', async (t) => {
    const h = await startIngest(t);
    const up = await initiate(h);
    const data = randomBytes(3 * MiB + 1);
    const right = crc32cToBase64(crc32c(data));
    const wrong = crc32cToBase64((crc32c(data) ^ 1) >>> 0);
    for (const send of [
      () => unary(h, up.uploadId, 0, data, { crc32c: wrong }),
      () => streamed(h.client, h.auth(), up.uploadId, 0, data, wrong),
    ]) {
      const { err } = await send();
      assert.equal(err?.code, status.INVALID_ARGUMENT);
      assert.equal(err.metadata.get('sluice-error-code')[0], 'CHECKSUM_MISMATCH');
      assert.match(
        err.details,
        new RegExp(`CRC32C ${right.replaceAll('+', '\\+')}, not the ${wrong.replaceAll('+', '\\+')}`),
      );
      assert.match(err.details, /nothing was stored; send the chunk again/);
    }
    assert.equal(await h.staging.getChunk(up.uploadId, 0), undefined);
    assert.deepEqual(await h.staging.redis.keys(`${h.staging.keys.segmentPrefix(up.uploadId, 0, '*')}`), []);
    const malformed = await unary(h, up.uploadId, 0, data, { crc32c: 'not-a-crc' });
    assert.equal(malformed.err?.code, status.INVALID_ARGUMENT);
    assert.match(malformed.err.details, /crc32c must be a CRC32C as base64 of its 4 big-endian bytes/);

    assert.equal((await unary(h, up.uploadId, 0, data, { crc32c: right })).err, null);
    const hex = crc32c(data).toString(16).padStart(8, '0');
    assert.equal((await streamed(h.client, h.auth(), up.uploadId, 1, data, hex)).err, null);
    assert.ok((await stagedBytes(h, up.uploadId, 0)).equals(data));
    assert.ok((await stagedBytes(h, up.uploadId, 1)).equals(data));
    // Checked, not recorded: this drive keeps CRC64/NVME, not CRC32C.
    assert.equal((await h.staging.getChunk(up.uploadId, 0))?.crc32c, 0);
  });

  it('refuses different bytes without force, and a forced change of size', async (t) => {
    const h = await startIngest(t);
    const up = await initiate(h);
    assert.equal((await unary(h, up.uploadId, 2, randomBytes(100))).err, null);
    const conflict = await unary(h, up.uploadId, 2, randomBytes(100));
    assert.equal(conflict.err?.code, status.ALREADY_EXISTS);
    assert.match(conflict.err?.details ?? '', /set force to replace it/);
    const resize = await unary(h, up.uploadId, 2, randomBytes(99), { force: true });
    assert.equal(resize.err?.code, status.ALREADY_EXISTS);
    assert.match(resize.err?.details ?? '', /must keep that size/);
  });

  it('refuses a forced replacement once the bytes beside the chunk in a stored part are released', async (t) => {
    const h = await startIngest(t);
    const up = await initiate(h);
    // Parts of 5 MiB: part 1 holds chunks 0 and 1, part 2 holds chunks 1 and 2.
    const chunks = [0, 1, 2].map(() => randomBytes(3 * MiB));
    for (const [n, data] of chunks.entries()) assert.equal((await unary(h, up.uploadId, n, data)).err, null);
    assert.equal((await unary(h, up.uploadId, 5, randomBytes(1000))).err, null);
    // As the part-writer does once part 1 is stored: chunk 0 is needed by no other part, so
    // its bytes are released.
    const zero = await h.staging.getChunk(up.uploadId, 0);
    assert.ok(zero);
    await h.staging.deleteSegments(h.staging.segmentsOf(up.uploadId, zero));

    const late = await unary(h, up.uploadId, 1, randomBytes(3 * MiB), { force: true });
    assert.equal(late.err?.code, status.FAILED_PRECONDITION);
    assert.match(
      late.err?.details ?? '',
      /chunk 1 .* can no longer be replaced: parts 1–2 .* chunk\(s\) 0 beside it/,
    );
    assert.match(late.err?.details ?? '', /upload the file again/);
    const one = await h.staging.getChunk(up.uploadId, 1);
    assert.equal(one?.sha256, sha(chunks[1] as Buffer), 'chunk 1 keeps its bytes');
    assert.equal(one?.generation, 0);

    // Chunk 2's part still has all its bytes, and chunk 5 sits in no part yet (3 and 4 are
    // missing): both can still be replaced.
    assert.equal((await unary(h, up.uploadId, 2, randomBytes(3 * MiB), { force: true })).err, null);
    assert.equal((await unary(h, up.uploadId, 5, randomBytes(1000), { force: true })).err, null);
    const announced = (await h.events())
      .filter((e) => e.event?.$case === 'chunkUploaded')
      .map((e) => (e.event?.$case === 'chunkUploaded' ? e.event.value.chunkNumber : -1));
    assert.deepEqual(announced.sort(), [0, 1, 2, 2, 5, 5]);
  });

  it('knows who is calling: keys, tenants and drives', async (t) => {
    const h = await startIngest(t);
    const none = await h.rpc.initiate({ drive: 'docs' }, h.auth(''));
    assert.equal(none.err?.code, status.UNAUTHENTICATED);
    const bad = await h.rpc.initiate({ drive: 'docs' }, h.auth('nope'));
    assert.equal(bad.err?.code, status.UNAUTHENTICATED);
    const noDrive = await h.rpc.initiate({ drive: 'nope' }, h.auth());
    assert.equal(noDrive.err?.code, status.NOT_FOUND);
    assert.match(noDrive.err?.details ?? '', /^no drive "nope" in your tenant/);
    const foreignDrive = await h.rpc.initiate({ drive: 'vault' }, h.auth());
    assert.equal(foreignDrive.err?.code, status.NOT_FOUND, "another tenant's drive looks like no drive");
    assert.equal(
      foreignDrive.err?.details,
      noDrive.err?.details.replace('"nope"', '"vault"'),
      'the message does not tell an unknown drive from a foreign one',
    );
    const missing = await h.rpc.initiate({}, h.auth());
    assert.equal(missing.err?.code, status.INVALID_ARGUMENT);

    const up = await initiate(h);
    const peek = await h.rpc.status({ uploadId: up.uploadId }, h.auth('globex-key'));
    assert.equal(peek.err?.code, status.NOT_FOUND, "another tenant's upload looks like no upload");
    const write = await h.rpc.chunk(
      { uploadId: up.uploadId, chunkNumber: 0, data: Buffer.from('x') },
      h.auth('globex-key'),
    );
    assert.equal(write.err?.code, status.NOT_FOUND);
  });

  it('says what is wrong with bad input and what to do', async (t) => {
    const h = await startIngest(t, { limits: { maxUnaryChunkBytes: MiB } });
    const up = await initiate(h);
    const absurd = await unary(h, up.uploadId, 4_294_967_295, Buffer.from('x'));
    assert.equal(absurd.err?.code, status.INVALID_ARGUMENT);
    assert.match(absurd.err?.details ?? '', /numbered from 0 to/);
    const big = await unary(h, up.uploadId, 0, randomBytes(2 * MiB));
    assert.equal(big.err?.code, status.RESOURCE_EXHAUSTED);
    assert.match(big.err?.details ?? '', /UploadChunkStream/);
    const unknown = await unary(h, randomUUID(), 0, Buffer.from('x'));
    assert.equal(unknown.err?.code, status.NOT_FOUND);

    assert.equal((await unary(h, up.uploadId, 0, Buffer.from('a'))).err, null);
    assert.equal((await unary(h, up.uploadId, 2, Buffer.from('c'))).err, null);
    const early = await h.rpc.complete({ uploadId: up.uploadId, totalChunks: 3 }, h.auth());
    assert.equal(early.err?.code, status.FAILED_PRECONDITION);
    assert.match(early.err?.details ?? '', /missing 1/);
    assert.equal((await unary(h, up.uploadId, 1, Buffer.from('b'))).err, null);
    const whole = sha(Buffer.from('abc'));
    const sealed = await h.rpc.complete({ uploadId: up.uploadId, totalChunks: 3, sha256: whole }, h.auth());
    assert.equal(sealed.err, null);
    const again = await h.rpc.complete({ uploadId: up.uploadId, totalChunks: 3, sha256: whole }, h.auth());
    assert.equal(again.err, null, 'sealing again with the same values succeeds');
    const late = await unary(h, up.uploadId, 3, Buffer.from('d'));
    assert.equal(late.err?.code, status.FAILED_PRECONDITION);
    assert.match(late.err?.details ?? '', /sealed/);

    const events = (await h.events()).map((e) => e.event?.$case);
    assert.deepEqual(
      events.filter((c) => c === 'uploadSealed'),
      ['uploadSealed'],
      'sealed once',
    );
  });

  it('aborts: later chunks are refused and the abort is announced once', async (t) => {
    const h = await startIngest(t);
    const up = await initiate(h);
    assert.equal((await unary(h, up.uploadId, 0, Buffer.from('a'))).err, null);
    for (let i = 0; i < 2; i++) {
      const r = await h.rpc.abort({ uploadId: up.uploadId, reason: 'user cancelled' }, h.auth());
      assert.equal(r.err, null);
    }
    const after = await unary(h, up.uploadId, 1, Buffer.from('b'));
    assert.equal(after.err?.code, status.FAILED_PRECONDITION);
    assert.match(after.err?.details ?? '', /aborted \(user cancelled\)/);
    const kinds = (await h.events()).map((e) => e.event?.$case);
    assert.deepEqual(kinds, ['uploadInitiated', 'chunkUploaded', 'uploadAbortRequested']);
  });

  it('returns the same upload for a retried initiate with the same client request id', async (t) => {
    const h = await startIngest(t);
    const crid = randomUUID();
    const a = await initiate(h, { clientRequestId: crid, nodeId: 'node-1' });
    const b = await initiate(h, { clientRequestId: crid, nodeId: 'node-1' });
    assert.equal(a.uploadId, b.uploadId);
    assert.equal(a.key, `acme/docs/node-1/${a.uploadId}`);
    assert.equal(a.limits?.maxChunkNumber, 1_000_000);
    const c = await initiate(h);
    assert.notEqual(c.uploadId, a.uploadId);
    assert.equal((await h.events()).filter((e) => e.event?.$case === 'uploadInitiated').length, 2);
  });

  it('reports status and streams progress', async (t) => {
    const h = await startIngest(t);
    const up = await initiate(h);
    const updates: number[] = [];
    const watch = h.client.watchUpload({ uploadId: up.uploadId }, h.auth());
    watch.on('data', (m: { upload?: { chunksStaged: number } }) =>
      updates.push(m.upload?.chunksStaged ?? -1),
    );
    watch.on('error', () => undefined);
    await new Promise((r) => setTimeout(r, 150));
    await unary(h, up.uploadId, 0, Buffer.from('a'));
    await unary(h, up.uploadId, 5, Buffer.from('f'));
    const { err, res } = await h.rpc.status({ uploadId: up.uploadId }, h.auth());
    assert.equal(err, null);
    assert.deepEqual(res?.upload?.stagedChunks, [0, 5]);
    assert.equal(res?.upload?.bytesStaged, 2n);
    for (let i = 0; i < 100 && updates.at(-1) !== 2; i++) await new Promise((r) => setTimeout(r, 20));
    watch.cancel();
    assert.equal(updates[0], 0);
    assert.equal(updates.at(-1), 2);
  });
});

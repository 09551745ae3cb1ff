/**
 * What ingest-api writes to its log: each upload's life at info, refusals at info without a
 * flood, and never a secret, at any level, in a log line or an event.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import {
  AbortUploadRequest,
  CompleteUploadRequest,
  InitiateUploadRequest,
  UploadChunkRequest,
  type InitiateUploadResponse,
  type ChunkEvent,
} from '@sluice/proto';
import { pino } from 'pino';
import { RefusalLog } from '../src/refusal-log.ts';
import { auth, call, KEYS, serve, tenantsEnv } from './harness.ts';
import { memoryIngest } from './memory-ingest.ts';

/** A logger at `level` whose lines the test reads back as objects. */
function captured(level: string) {
  const lines: Record<string, unknown>[] = [];
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString();
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return { logger: pino({ level }, stream), lines, text: () => text };
}

describe('ingest-api logs', () => {
  it('logs each upload’s life at info, and no secret at any level, in a log line or an event', async (t) => {
    const log = captured('trace');
    const events: ChunkEvent[] = [];
    const h = await memoryIngest(t, {
      logger: log.logger,
      events: { produce: (e) => Promise.resolve(void events.push(e)) },
    });
    const client = await serve(t, h.app);
    const md = auth();
    const sealed = await call<InitiateUploadRequest, InitiateUploadResponse>(
      client.initiateUpload.bind(client),
      InitiateUploadRequest.fromPartial({ drive: 'docs' }),
      md,
    );
    const uploadId = sealed.res?.uploadId ?? '';
    const data = Buffer.from('hello');
    const sha256 = createHash('sha256').update(data).digest('hex');
    await call(
      client.uploadChunk.bind(client),
      UploadChunkRequest.fromPartial({ uploadId, chunkNumber: 0, data, sha256 }),
      md,
    );
    await call(
      client.completeUpload.bind(client),
      CompleteUploadRequest.fromPartial({ uploadId, totalChunks: 1 }),
      md,
    );
    const aborted = await call<InitiateUploadRequest, InitiateUploadResponse>(
      client.initiateUpload.bind(client),
      InitiateUploadRequest.fromPartial({ drive: 'docs' }),
      md,
    );
    await call(
      client.abortUpload.bind(client),
      AbortUploadRequest.fromPartial({ uploadId: aborted.res?.uploadId ?? '', reason: 'changed my mind' }),
      md,
    );
    // A refused call with a wrong key, which must not be logged either.
    await call(
      client.initiateUpload.bind(client),
      InitiateUploadRequest.fromPartial({ drive: 'docs' }),
      auth('not-a-key-9f2c'),
    );

    const info = log.lines.filter((l) => (l.level as number) >= 30);
    const life = info.filter((l) => l.upload_id === uploadId).map((l) => l.msg);
    assert.deepEqual(life, ['upload initiated', 'upload sealed']);
    assert.ok(info.some((l) => l.msg === 'upload aborted' && l.reason === 'changed my mind'));
    assert.ok(info.some((l) => l.msg === 'call refused' && l.code === 'UNAUTHENTICATED'));

    const secrets = [KEYS.acme, 'not-a-key-9f2c', tenantsEnv().SLUICE_S3_SECRET_KEY];
    const everything =
      log.text() + JSON.stringify(events, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    for (const secret of secrets)
      assert.ok(!everything.includes(secret), `a secret reached the log or an event`);
    assert.ok(events.length >= 4, 'events were produced');
  });
});

describe('RefusalLog', () => {
  it('logs the first refusal of each code at once and counts the rest of the window in one line', () => {
    const log = captured('info');
    const refusals = new RefusalLog(log.logger, 60_000);
    for (let i = 0; i < 50; i++)
      refusals.note('UploadChunk', 'UPLOAD_NOT_FOUND', `upload u${i} does not exist`);
    refusals.note('UploadChunk', 'CHUNK_TOO_LARGE', 'chunk 3 is too large');
    assert.deepEqual(
      log.lines.map((l) => [l.msg, l.code]),
      [
        ['call refused', 'UPLOAD_NOT_FOUND'],
        ['call refused', 'CHUNK_TOO_LARGE'],
      ],
    );
    refusals.flush();
    const summary = log.lines.at(-1);
    assert.equal(summary?.msg, 'more calls refused with the same code');
    assert.equal(summary?.code, 'UPLOAD_NOT_FOUND');
    assert.equal(summary?.count, 49);
    assert.equal(log.lines.length, 3);
    // A new window logs the first refusal again.
    refusals.note('UploadChunk', 'UPLOAD_NOT_FOUND', 'upload u99 does not exist');
    assert.equal(log.lines.length, 4);
    refusals.flush();
  });
});

/**
 * ChunkIntake's rules on the in-memory staging store (held to Redis's behaviour by staging's
 * shared suite): no sockets, no services. The same paths run against real Redis and Kafka in
 * intake.test.ts and crash-points.test.ts.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import { ChecksumPool } from '@sluice/checksums';
import { UnavailableError } from '@sluice/errors';
import type { ChunkEvent } from '@sluice/proto';
import { MemoryStaging } from '@sluice/staging';
import { newUpload } from '@sluice/staging/testing';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { ChunkIntake } from '../src/chunk-intake.ts';
import { DEFAULT_LIMITS } from '../src/limits.ts';
import { ingestMetrics } from '../src/metrics.ts';

const KiB = 1024;

/** A Kafka stand-in that keeps what is produced and can be made to fail. */
class Events {
  readonly produced: ChunkEvent[] = [];
  down = false;

  produce(event: ChunkEvent): Promise<void> {
    if (this.down) return Promise.reject(new UnavailableError('EVENTS_UNAVAILABLE', 'Kafka is down'));
    this.produced.push(event);
    return Promise.resolve();
  }

  chunkEvents(): ChunkEvent[] {
    return this.produced.filter((e) => e.event?.$case === 'chunkUploaded');
  }
}

async function setup(t: TestContext, options: { full?: () => boolean } = {}) {
  const staging = new MemoryStaging({ segmentSize: 4 * KiB });
  const events = new Events();
  const checksums = new ChecksumPool({ threads: 0 });
  await checksums.start();
  t.after(() => checksums.close());
  const intake = new ChunkIntake({
    staging,
    events,
    checksums,
    limits: DEFAULT_LIMITS,
    tenants: { limits: () => ({}) },
    stagingFull: options.full ?? (() => false),
    metrics: ingestMetrics(new Registry()),
    logger: pino({ level: 'silent' }),
  });
  const { meta } = await staging.createUpload(
    newUpload({
      tenant: 'acme',
      destination: { partSizePolicy: { kind: 'fixed', partSize: 5 * 1024 * KiB } },
    }),
  );
  return { staging, events, intake, uploadId: meta.uploadId };
}

const header = (uploadId: string, chunkNumber: number, size: number, force = false) => ({
  uploadId,
  chunkNumber,
  sha256: '',
  force,
  size,
});

describe('ChunkIntake on in-memory staging', () => {
  it('stages streamed frames as segments, commits the record and announces it once', async (t) => {
    const { staging, events, intake, uploadId } = await setup(t);
    const data = randomBytes(10 * KiB + 7);
    const receiver = await intake.open('acme', header(uploadId, 0, data.length));
    for (let at = 0; at < data.length; at += 3000) await receiver.write(data.subarray(at, at + 3000));
    const ack = await receiver.finish();
    assert.deepEqual(ack, {
      chunkNumber: 0,
      size: data.length,
      sha256: createHash('sha256').update(data).digest('hex'),
      duplicate: false,
    });
    const record = await staging.getChunk(uploadId, 0);
    assert.ok(record?.emitted, 'the record says its event is durable');
    assert.equal(record.segmentCount, 3);
    const segments = staging.segmentsOf(uploadId, record);
    assert.deepEqual(Buffer.concat(await staging.readRange(segments, 0, data.length)), data);
    const announced = events.chunkEvents();
    assert.equal(announced.length, 1);
    assert.equal(
      announced[0]?.event?.$case === 'chunkUploaded' && announced[0].event.value.segmentKeyPrefix,
      segments.prefix,
    );
    assert.equal((await staging.getUpload(uploadId))?.stagedBytes, data.length);
  });

  it('answers a retry with the same bytes as a duplicate, staging nothing', async (t) => {
    const { staging, events, intake, uploadId } = await setup(t);
    const data = randomBytes(9 * KiB);
    await intake.stageUnary('acme', header(uploadId, 1, 0), data);
    const before = staging.segmentKeys().length;
    const again = await intake.stageUnary('acme', header(uploadId, 1, 0), data);
    assert.equal(again.duplicate, true);
    assert.equal(staging.segmentKeys().length, before, 'no segment was written for the retry');
    assert.equal(events.chunkEvents().length, 1, 'a durable event is not announced again');
  });

  it('refuses different bytes for a staged chunk, unless forced', async (t) => {
    const { staging, intake, uploadId } = await setup(t);
    await intake.stageUnary('acme', header(uploadId, 0, 0), randomBytes(5 * KiB));
    await assert.rejects(intake.stageUnary('acme', header(uploadId, 0, 0), randomBytes(5 * KiB)), {
      code: 'CHUNK_CONFLICT',
    });
    const replacement = randomBytes(5 * KiB);
    const forced = await intake.stageUnary('acme', header(uploadId, 0, 0, true), replacement);
    assert.equal(forced.duplicate, false);
    const record = await staging.getChunk(uploadId, 0);
    assert.equal(record?.generation, 1);
    assert.ok(record);
    const bytes = await staging.readRange(staging.segmentsOf(uploadId, record), 0, replacement.length);
    assert.deepEqual(Buffer.concat(bytes), replacement);
  });

  it('keeps a committed chunk whose event failed, and the retry announces it from the record', async (t) => {
    const { staging, events, intake, uploadId } = await setup(t);
    const data = randomBytes(6 * KiB);
    events.down = true;
    await assert.rejects(intake.stageUnary('acme', header(uploadId, 0, 0), data), {
      code: 'EVENTS_UNAVAILABLE',
    });
    const record = await staging.getChunk(uploadId, 0);
    assert.equal(record?.emitted, false, 'committed, not yet announced');
    assert.ok(record);
    const segments = staging.segmentsOf(uploadId, record);
    assert.deepEqual(
      Buffer.concat(await staging.readRange(segments, 0, data.length)),
      data,
      'the failed call left the bytes its record names',
    );
    events.down = false;
    const retry = await intake.stageUnary('acme', header(uploadId, 0, 0), data);
    assert.equal(retry.duplicate, true);
    assert.equal(events.chunkEvents().length, 1);
    assert.equal((await staging.getChunk(uploadId, 0))?.emitted, true);
  });

  it('refuses a chunk when staging fills while it streams in, and leaves nothing of it', async (t) => {
    let full = false;
    const { staging, intake, uploadId } = await setup(t, { full: () => full });
    const receiver = await intake.open('acme', header(uploadId, 0, 12 * KiB));
    await receiver.write(randomBytes(4 * KiB));
    full = true;
    await assert.rejects(receiver.write(randomBytes(8 * KiB)), { code: 'STAGING_FULL' });
    await receiver.abort();
    assert.deepEqual(staging.segmentKeys(), []);
    assert.equal(await staging.getChunk(uploadId, 0), undefined);
  });
});

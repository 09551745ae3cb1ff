import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it, type TestContext } from 'node:test';
import {
  CompleteMultipartUploadCommand,
  GetObjectCommand,
  ListMultipartUploadsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { crc64nvme } from '@sluice/checksums';
import { InvalidArgumentError } from '@sluice/errors';
import { createLogger } from '@sluice/logging';
import type { PartEvent } from '@sluice/proto';
import { RedisStaging } from '@sluice/staging';
import { createBucket, createRedisPrefix, requireServices, s3Client, scanKeys } from '@sluice/testing';
import { Registry } from 'prom-client';
import { S3ObjectStore, checksumFields } from '@sluice/storage';
import { PartStateStore, PartWriter } from '../src/index.ts';
import { MiB, feed, ofCase, stage } from './support.ts';

interface Setup {
  readonly staging: RedisStaging;
  readonly store: PartStateStore;
  readonly bucket: string;
  readonly s3: S3Client;
  readonly namespace: string;
}

async function setup(t: TestContext): Promise<Setup> {
  await requireServices(['redis', 's3']);
  const { redis, prefix } = createRedisPrefix(t);
  const namespace = prefix.slice(0, -1);
  const staging = new RedisStaging({ redis, namespace, ttlMs: 600_000 });
  const store = new PartStateStore({ redis, stagingKeys: staging.keys, ttlMs: 600_000 });
  const { bucket, client } = await createBucket(t, { prefix: 'pwc' });
  return { staging, store, bucket, s3: client, namespace };
}

function writer(
  t: TestContext,
  s: Setup,
  client?: S3Client,
  registry = new Registry(),
  staging: RedisStaging = s.staging,
) {
  const events: PartEvent[] = [];
  const s3 = client ?? s3Client({ requestChecksumCalculation: 'WHEN_REQUIRED' });
  t.after(() => s3.destroy());
  const w = new PartWriter({
    staging,
    store: s.store,
    drive: () => ({
      objects: new S3ObjectStore(s3),
      checksumMode: 'crc64nvme',
      partSizePolicy: { kind: 'fixed', partSize: 5 * MiB },
    }),
    events: { produce: (e) => Promise.resolve(void events.push(e)) },
    logger: createLogger({ service: 'test', level: 'silent' }),
    registry,
    partConcurrency: 4,
    uploadConcurrency: 4,
    retry: { initialDelayMs: 10, maxDelayMs: 50 },
  });
  return { writer: w, events, registry };
}

async function segmentKeys(s: Setup, uploadId: string): Promise<string[]> {
  return scanKeys(s.staging.redis, `${s.namespace}:{${uploadId}}:c:*`);
}

describe('PartWriter', () => {
  it('ends with one multipart upload and one release when two owners race on an upload', async (t) => {
    const s = await setup(t);
    const file = randomBytes(12 * MiB);
    const events = await stage(s, file, [6 * MiB, 6 * MiB]);
    let creates = 0;
    const counting = (): S3Client => {
      const client = s3Client({ requestChecksumCalculation: 'WHEN_REQUIRED' });
      client.middlewareStack.add(
        (next, context) => (args) => {
          if (context.commandName === 'CreateMultipartUploadCommand') creates++;
          return next(args);
        },
        { step: 'initialize', name: 'count-creates' },
      );
      return client;
    };
    const a = writer(t, s, counting());
    const b = writer(t, s, counting());
    await Promise.all([
      feed(a.writer, events, new AbortController().signal),
      feed(b.writer, events, new AbortController().signal),
    ]);

    assert.equal(creates, 2, 'both owners created a multipart upload');
    const stored = [...ofCase(a.events, 'partStored'), ...ofCase(b.events, 'partStored')];
    const ids = new Set(stored.map((p) => p.location!.multipartUploadId));
    assert.equal(ids.size, 1, 'every part went to the multipart upload recorded first');
    const listed = await s.s3.send(new ListMultipartUploadsCommand({ Bucket: s.bucket }));
    assert.equal(listed.Uploads?.length, 1, "the loser's multipart upload was aborted");
    const all = ofCase([...a.events, ...b.events], 'allPartsStored');
    assert.ok(all.length >= 1);
    assert.equal(all[0]!.crc64nvme, crc64nvme(file));

    const latest = new Map(stored.map((p) => [p.partNumber, p]));
    const key = all[0]!.location!.key;
    await s.s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: s.bucket,
        Key: key,
        UploadId: [...ids][0],
        ChecksumType: 'FULL_OBJECT',
        ...checksumFields('crc64nvme', all[0]!),
        MultipartUpload: {
          Parts: [...latest.values()]
            .sort((x, y) => x.partNumber - y.partNumber)
            .map((p) => ({
              PartNumber: p.partNumber,
              ETag: `"${p.etag}"`,
              ...checksumFields('crc64nvme', p),
            })),
        },
      }),
    );
    const object = await s.s3.send(new GetObjectCommand({ Bucket: s.bucket, Key: key }));
    assert.ok(Buffer.from(await object.Body!.transformToByteArray()).equals(file));
    const uploadId = events[0]!.uploadId;
    assert.deepEqual(await segmentKeys(s, uploadId), []);
    assert.equal((await s.staging.getUpload(uploadId))!.stagedBytes, 0, 'released once, not twice');
  });

  it('takes a part another owner stored meanwhile as stored, though its bytes are gone', async (t) => {
    const s = await setup(t);
    const file = randomBytes(12 * MiB);
    const events = await stage(s, file, [6 * MiB, 6 * MiB]);
    // B loaded the upload before a rebalance and reads its bytes only after A stored and released them.
    let open: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (open = resolve));
    class GatedStaging extends RedisStaging {
      override async readRangeInto(...args: Parameters<RedisStaging['readRangeInto']>): Promise<void> {
        await gate;
        return super.readRangeInto(...args);
      }
    }
    const gated = new GatedStaging({ redis: s.staging.redis, namespace: s.namespace, ttlMs: 600_000 });
    const b = writer(t, s, undefined, new Registry(), gated);
    const fedB = feed(b.writer, events, new AbortController().signal);
    const a = writer(t, s);
    await feed(a.writer, events, new AbortController().signal);
    assert.equal(ofCase(a.events, 'allPartsStored').length, 1);
    assert.deepEqual(await segmentKeys(s, events[0]!.uploadId), [], 'A released every chunk');
    open();
    await fedB;
    assert.deepEqual(ofCase(b.events, 'uploadFailed'), [], 'no staged bytes were lost');
    assert.deepEqual(ofCase(b.events, 'partStored'), []);
  });

  it('retries a part the store throttles, then stores it', async (t) => {
    const s = await setup(t);
    const client = s3Client({ requestChecksumCalculation: 'WHEN_REQUIRED' });
    let refusals = 2;
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UploadPartCommand' && refusals > 0) {
          refusals--;
          throw Object.assign(new Error('Please reduce your request rate.'), {
            name: 'SlowDown',
            $metadata: { httpStatusCode: 503 },
          });
        }
        return next(args);
      },
      { step: 'initialize', name: 'throttle-test' },
    );
    const { writer: w, events, registry } = writer(t, s, client);
    const file = randomBytes(7 * MiB);
    await feed(w, await stage(s, file, [7 * MiB]), new AbortController().signal);
    assert.equal(refusals, 0);
    assert.equal(ofCase(events, 'partStored').length, 2);
    assert.equal(ofCase(events, 'allPartsStored')[0]!.crc64nvme, crc64nvme(file));
    assert.match(
      await registry.metrics(),
      /^sluice_part_writer_part_retries_total\{code="STORAGE_UNAVAILABLE"\} 2$/m,
    );
  });

  it('fails the upload when one of its records is dead-lettered', async (t) => {
    const s = await setup(t);
    const { writer: w, events } = writer(t, s);
    const staged = await stage(s, randomBytes(2 * MiB), [MiB, MiB], false);
    await feed(w, staged.slice(0, 1), new AbortController().signal);
    await w.deadLettered(staged[1]!, new InvalidArgumentError('chunk 1 contradicts the upload'));
    const failed = ofCase(events, 'uploadFailed');
    assert.deepEqual(failed, [
      { errorCode: 'INVALID_ARGUMENT', message: 'chunk 1 contradicts the upload', s3Code: '' },
    ]);
    const uploadId = staged[0]!.uploadId;
    assert.deepEqual(await segmentKeys(s, uploadId), []);
    assert.equal((await s.staging.getUpload(uploadId))!.stagedBytes, 0);
    await feed(w, staged, new AbortController().signal);
    assert.equal(ofCase(events, 'uploadFailed').length, 1, 'later events of a failed upload change nothing');
    assert.equal(ofCase(events, 'partStored').length, 0);
  });

  it('ignores events of an upload ingest no longer has', async (t) => {
    const s = await setup(t);
    const { writer: w, events } = writer(t, s);
    const staged = await stage(s, randomBytes(MiB), [MiB]);
    await s.staging.deleteUpload(staged[0]!.uploadId);
    await feed(w, staged, new AbortController().signal);
    assert.deepEqual(events, []);
    assert.equal(
      await s.staging.redis.exists(s.store.key(staged[0]!.uploadId)),
      0,
      'no state is made for it',
    );
  });
});

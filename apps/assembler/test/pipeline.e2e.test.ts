/**
 * End to end through all four apps: 50 files of mixed sizes uploaded concurrently over
 * gRPC land as objects byte-identical to their sources, each announced by exactly one
 * UploadCompleted whose size and checksum match, and each reported COMPLETED by
 * GetUploadStatus (answered from the projection once the Redis state is gone).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { it } from 'node:test';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { credentials, Metadata } from '@grpc/grpc-js';
import { Consumer } from '@platformatic/kafka';
import { Crc64Nvme } from '@sluice/checksums';
import {
  CompleteUploadRequest,
  GetUploadStatusRequest,
  InitiateUploadRequest,
  IntakeServiceClient,
  UploadChunkRequest,
  UploadEvent,
  UploadStatus,
  type CompleteUploadResponse,
  type GetUploadStatusResponse,
  type InitiateUploadResponse,
  type UploadChunkResponse,
} from '@sluice/proto';
import { decodeFrame } from '@sluice/schema-registry';
import {
  dashboardQueries,
  kafkaBrokers,
  queriedMetrics,
  requireServices,
  s3Client,
  s3Settings,
  startPipeline,
} from '@sluice/testing';

const KiB = 1024;
const MiB = 1024 * KiB;
const CHUNK = 1 * MiB;

/** 50 sizes: empty, tiny, around the 5 MiB part size, and a few that span several parts. */
function sizes(): number[] {
  const fixed = [0, 1, 100 * KiB, 5 * MiB - 1, 5 * MiB, 5 * MiB + 1, 11 * MiB + 7, 16 * MiB];
  const rest = Array.from({ length: 50 - fixed.length }, (_, i) => ((i * 7919) % 40) * 97 * KiB + i);
  return [...fixed, ...rest];
}

async function pool<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

// Once with each projection database: MariaDB (the default) and PostgreSQL.
for (const database of ['mysql', 'postgres'] as const) {
  it(
    `lands 50 files of mixed sizes byte-identical, each announced once (projection on ${database})`,
    { timeout: 300_000 },
    async (t) => {
      await requireServices(['redis', 'kafka', 'apicurio', 's3', database]);
      const pipeline = await startPipeline(t, { database });
      const client = new IntakeServiceClient(pipeline.grpcAddress, credentials.createInsecure());
      t.after(() => client.close());
      const md = new Metadata();
      md.set('authorization', `Bearer ${pipeline.apiKey}`);
      const answer =
        <R>(resolve: (r: R) => void, reject: (e: Error) => void) =>
        (err: Error | null, res?: R): void =>
          err || !res ? reject(err ?? new Error('empty answer')) : resolve(res);
      const rpc = {
        initiate: (req: InitiateUploadRequest) =>
          new Promise<InitiateUploadResponse>((ok, ko) => client.initiateUpload(req, md, answer(ok, ko))),
        chunk: (req: UploadChunkRequest) =>
          new Promise<UploadChunkResponse>((ok, ko) => client.uploadChunk(req, md, answer(ok, ko))),
        complete: (req: CompleteUploadRequest) =>
          new Promise<CompleteUploadResponse>((ok, ko) => client.completeUpload(req, md, answer(ok, ko))),
        status: (req: GetUploadStatusRequest) =>
          new Promise<GetUploadStatusResponse>((ok, ko) => client.getUploadStatus(req, md, answer(ok, ko))),
      };

      // Every other client gives its SHA-256 at seal; every UploadCompleted carries one either way.
      const files = sizes().map((size, i) => ({
        size,
        data: randomBytes(size),
        uploadId: '',
        key: '',
        clientSha256: i % 2 === 0,
      }));
      await pool(files, 8, async (file) => {
        const up = await rpc.initiate(
          InitiateUploadRequest.fromPartial({ drive: pipeline.drive, nodeId: randomUUID() }),
        );
        file.uploadId = up.uploadId;
        file.key = up.key;
        const chunks = Math.ceil(file.size / CHUNK);
        // Chunks in reverse order, in parallel: arrival order must not matter.
        const order = Array.from({ length: chunks }, (_, i) => chunks - 1 - i);
        await pool(order, 4, async (n) => {
          const data = file.data.subarray(n * CHUNK, Math.min(file.size, (n + 1) * CHUNK));
          await rpc.chunk(UploadChunkRequest.fromPartial({ uploadId: up.uploadId, chunkNumber: n, data }));
        });
        const sha256 = file.clientSha256 ? createHash('sha256').update(file.data).digest('hex') : '';
        await rpc.complete(
          CompleteUploadRequest.fromPartial({ uploadId: up.uploadId, totalChunks: chunks, sha256 }),
        );
      });

      // Every upload reaches COMPLETED as GetUploadStatus reports it.
      const deadline = Date.now() + 240_000;
      for (const file of files) {
        for (;;) {
          const state = await rpc.status(GetUploadStatusRequest.fromPartial({ uploadId: file.uploadId }));
          const s = state.upload?.status;
          if (s === UploadStatus.UPLOAD_STATUS_COMPLETED) break;
          assert.ok(
            s !== UploadStatus.UPLOAD_STATUS_FAILED && s !== UploadStatus.UPLOAD_STATUS_EXPIRED,
            `upload of ${file.size} bytes ended ${s}: ${state.upload?.errorCode} ${state.upload?.errorMessage}`,
          );
          assert.ok(Date.now() < deadline, `upload of ${file.size} bytes still ${s} after 240 s`);
          await new Promise((r) => setTimeout(r, 200));
        }
      }

      // The objects are the files.
      const s3 = s3Client();
      t.after(() => s3.destroy());
      for (const file of files) {
        const object = await s3.send(new GetObjectCommand({ Bucket: s3Settings().bucket, Key: file.key }));
        const body = Buffer.from(await object.Body!.transformToByteArray());
        assert.equal(body.length, file.size);
        assert.ok(body.equals(file.data), `object ${file.key} differs from its ${file.size}-byte source`);
      }

      // intake.uploads: one UploadCompleted per upload, whose size and CRC64/NVME match the file.
      const consumer = new Consumer({
        groupId: randomUUID(),
        clientId: 'e2e-reader',
        bootstrapBrokers: kafkaBrokers(),
        maxWaitTime: 200,
      });
      t.after(() => consumer.close(true));
      const topic = `${pipeline.topicPrefix}intake.uploads`;
      const ends = await consumer.listOffsets({ topics: [topic] });
      const total = (ends.get(topic) ?? []).reduce((s, o) => s + Number(o), 0);
      const completed = new Map<string, UploadEvent[]>();
      const stream = await consumer.consume({ topics: [topic], mode: 'earliest' });
      let seen = 0;
      for await (const m of stream) {
        const event = UploadEvent.decode(decodeFrame(m.value).payload);
        if (event.event?.$case === 'uploadCompleted')
          completed.set(event.uploadId, [...(completed.get(event.uploadId) ?? []), event]);
        if (++seen >= total) break;
      }
      for (const file of files) {
        const events = completed.get(file.uploadId) ?? [];
        const ids = new Set(events.map((e) => e.eventId));
        assert.equal(ids.size, 1, `upload ${file.uploadId} announced ${ids.size} times`);
        const done = events[0]?.event;
        assert.ok(done?.$case === 'uploadCompleted');
        assert.equal(done.value.size, BigInt(file.size));
        assert.equal(done.value.crc64nvme, new Crc64Nvme().update(file.data).digest());
        assert.deepEqual(
          Buffer.from(done.value.sha256),
          createHash('sha256').update(file.data).digest(),
          `the SHA-256 of upload ${file.uploadId} (${file.clientSha256 ? 'given' : 'not given'} by its client)`,
        );
        assert.equal(done.value.key, file.key);
      }

      // The projection itself (the projector's HTTP API reads its database) holds every upload as
      // COMPLETED, with its size: the rows, not only the assembler's announcement.
      const projected = async (uploadId: string): Promise<{ status?: string; size?: number }> => {
        const res = await fetch(
          `http://127.0.0.1:${pipeline.httpPorts.projector}/v1/uploads/${uploadId}?chunks=false`,
        );
        return res.ok ? ((await res.json()) as { status?: string; size?: number }) : {};
      };
      for (const file of files) {
        for (
          let row = await projected(file.uploadId);
          row.status !== 'COMPLETED';
          row = await projected(file.uploadId)
        ) {
          assert.ok(
            Date.now() < deadline,
            `upload ${file.uploadId} is ${row.status ?? 'missing'} in the ${database} projection`,
          );
          await new Promise((r) => setTimeout(r, 200));
        }
        assert.equal((await projected(file.uploadId)).size, file.size);
      }

      // The Grafana dashboards read only metrics the apps export (each one's /metrics, after
      // real work, so every labelled series has appeared).
      const exported = new Set<string>();
      for (const port of Object.values(pipeline.httpPorts)) {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        for (const m of text.matchAll(/^# TYPE (\S+) /gm)) exported.add(m[1] as string);
      }
      for (const { dashboard, panel, expr } of dashboardQueries()) {
        for (const metric of queriedMetrics(expr)) {
          assert.ok(
            exported.has(metric),
            `${dashboard}: panel "${panel}" reads ${metric}, which no app exports`,
          );
        }
      }
    },
  );
}

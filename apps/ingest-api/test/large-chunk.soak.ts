/**
 * A 2 GiB chunk through UploadChunkStream: ingest-api's peak RSS stays bounded (it holds
 * a window of segments, never the chunk). Needs Redis room for 2 GiB: the local Redis's
 * maxmemory is raised for the run and restored after. Run with `npm run test:soak`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import { credentials, Metadata } from '@grpc/grpc-js';
import { InitiateUploadRequest, IntakeServiceClient } from '@sluice/proto';
import { RedisStaging } from '@sluice/staging';
import { eventTopicPrefix, freePort, requireServices, serviceUrl, uniqueName } from '@sluice/testing';
import { Redis } from 'ioredis';
import { KEYS, tenantsEnv, tenantsText } from './harness.ts';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const SIZE = Number(process.env['SLUICE_SOAK_CHUNK_GIB'] ?? 2) * GiB;

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) / 1024;
}

it(
  `stages a ${SIZE / GiB} GiB chunk through UploadChunkStream in bounded memory`,
  { timeout: 900_000 },
  async (t) => {
    await requireServices(['redis', 'kafka', 'apicurio']);
    const redis = new Redis(serviceUrl('redis'));
    const [, maxmemory] = (await redis.config('GET', 'maxmemory')) as [string, string];
    const used = Number(/^used_memory:(\d+)/m.exec(await redis.info('memory'))?.[1] ?? 0);
    await redis.config('SET', 'maxmemory', String(Math.max(Number(maxmemory), used + SIZE + 1.5 * GiB)));
    let uploadId = '';
    const namespace = uniqueName('soak');
    const staging = new RedisStaging({ redis, namespace });
    t.after(async () => {
      if (uploadId) await staging.deleteUpload(uploadId);
      await redis.config('SET', 'maxmemory', maxmemory);
      await redis.quit();
    });

    const dir = mkdtempSync(join(tmpdir(), 'sluice-soak-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'tenants.json'), tenantsText());
    const topicPrefix = eventTopicPrefix(t, 'soak');
    const [grpc, http] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, [join(import.meta.dirname, '..', 'src', 'main.ts')], {
      env: {
        ...process.env,
        ...tenantsEnv(),
        SLUICE_LOG_LEVEL: 'warn',
        SLUICE_INGEST_PORT: String(grpc),
        SLUICE_INGEST_HTTP_PORT: String(http),
        SLUICE_TENANTS_FILE: join(dir, 'tenants.json'),
        SLUICE_REDIS_NAMESPACE: namespace,
        SLUICE_TOPIC_PREFIX: topicPrefix,
        SLUICE_KAFKA_PARTITIONS: '1',
        SLUICE_INGEST_REDIS_HIGH_WATERMARK: '99',
        SLUICE_INGEST_REDIS_LOW_WATERMARK: '98',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    t.after(() => void child.kill('SIGKILL'));
    for (let i = 0; i < 600; i++) {
      if (
        await fetch(`http://127.0.0.1:${http}/readyz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const client = new IntakeServiceClient(`127.0.0.1:${grpc}`, credentials.createInsecure());
    t.after(() => client.close());
    const md = new Metadata();
    md.set('authorization', `Bearer ${KEYS.acme}`);
    uploadId = await new Promise<string>((resolve, reject) =>
      client.initiateUpload(InitiateUploadRequest.fromPartial({ drive: 'docs' }), md, (err, res) =>
        err ? reject(err) : resolve(res?.uploadId ?? ''),
      ),
    );

    // Frames of 1 MiB, each different (a counter in the first bytes), written as the stream drains.
    const frame = Buffer.alloc(MiB, 7);
    const hash = createHash('sha256');
    const rssBefore = peakRssMiB(child.pid ?? 0);
    const ack = await new Promise<{ size: bigint; sha256: string }>((resolve, reject) => {
      const stream = client.uploadChunkStream(md, (err, res) =>
        res ? resolve(res) : reject(err ?? new Error('no answer')),
      );
      // A refusal ends the call while frames are still queued: stop pumping then.
      stream.on('error', () => undefined);
      stream.write({
        frame: {
          $case: 'header',
          value: { uploadId, chunkNumber: 0, size: BigInt(SIZE), sha256: '', force: false, crc32c: '' },
        },
      });
      let i = 0;
      const pump = (): void => {
        while (i < SIZE / MiB) {
          frame.writeUInt32BE(i, 0);
          const copy = Buffer.from(frame);
          hash.update(copy);
          i++;
          if (!stream.write({ frame: { $case: 'data', value: copy } })) {
            stream.once('drain', pump);
            return;
          }
        }
        stream.end();
      };
      pump();
    });
    const peak = peakRssMiB(child.pid ?? 0);
    t.diagnostic(
      `ingest-api peak RSS ${peak.toFixed(0)} MiB (before the chunk: ${rssBefore.toFixed(0)} MiB) for a ${SIZE / GiB} GiB chunk`,
    );
    assert.equal(ack.size, BigInt(SIZE));
    assert.equal(ack.sha256, hash.digest('hex'));
    const record = await staging.getChunk(uploadId, 0);
    assert.equal(record?.segmentCount, SIZE / MiB);
    // Bounded means: a window of segments and frames, not the chunk. Far below 2 GiB.
    assert.ok(peak < 600, `peak RSS ${peak} MiB`);
  },
);

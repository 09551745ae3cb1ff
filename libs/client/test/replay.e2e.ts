/**
 * Replay survives a restart of everything (`npm run test:replay`, README.md "Replay"): the
 * whole pipeline lands files, every service is stopped and started again (`infra down`, then
 * `infra up`), more files land, and then the events from offset 0 still decode everywhere:
 * the projection rebuilt from the topics matches the live one, a fresh consumer of each topic
 * decodes every record, and so does the stock Java deserializer. In between, the registry is
 * started once on storage that forgot every schema, and the apps must refuse it.
 *
 * It stops the local services that other runs may be using: run it on its own.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { EventBackbone } from '@sluice/kafka';
import { testBackbone } from '@sluice/kafka/testing';
import { runJavaInterop } from '@sluice/kafka/java-interop';
import { EVENT_TOPICS } from '@sluice/schema-registry';
import {
  createBucket,
  createDatabase,
  deleteEventTopics,
  kafkaBrokers,
  requireServices,
  serviceUrl,
  uniqueName,
  type TestDatabase,
} from '@sluice/testing';
import { upload, UploadStatus, type SluiceClient } from '../src/index.ts';
import { startApp, startIngest, startProjector, suiteCleanup, type IngestServer } from './ingest-server.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const MiB = 1024 * 1024;

/** `npm run infra -- <command> [service]`, as a user would type it. */
async function infra(
  command: 'up' | 'down',
  service?: string,
  env: Record<string, string> = {},
): Promise<void> {
  await run(process.execPath, ['infra/local/src/cli.ts', command, ...(service ? [service] : [])], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    timeout: 600_000,
  });
}

async function landFiles(client: SluiceClient, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const result = await upload(client, randomBytes(i === 0 ? 6 * MiB : 1000 + i), {
      drive: 'docs',
      chunkSize: 2 * MiB,
      wait: true,
    });
    assert.equal(result.status, UploadStatus.UPLOAD_STATUS_COMPLETED, `upload ${result.uploadId} completed`);
  }
}

/** Each topic's record count, summed over its partitions. */
async function recordCounts(backbone: EventBackbone, names: readonly string[]): Promise<Map<string, number>> {
  const ends = await backbone.consumer(uniqueName('count')).listOffsets({ topics: [...names] });
  return new Map(names.map((n) => [n, (ends.get(n) ?? []).reduce((s, o) => s + Number(o), 0)]));
}

describe('replay after every service restarts', { timeout: 1_200_000 }, () => {
  it('rebuilds the same projection and decodes every record from offset 0, in Sluice and in Java', async (t) => {
    await requireServices(['redis', 'kafka', 'apicurio', 's3', 'mysql']);
    const keep = suiteCleanup();
    t.after(() => keep.run());
    const { bucket } = await createBucket(keep.hooks);
    const db: TestDatabase = await createDatabase(keep.hooks);
    const topicPrefix = `${uniqueName('replay')}.`;
    keep.hooks.after(() => deleteEventTopics(topicPrefix));
    const groups = {
      SLUICE_PART_WRITER_GROUP_ID: uniqueName('part-writer'),
      SLUICE_ASSEMBLER_GROUP_ID: uniqueName('assembler'),
      SLUICE_PROJECTOR_GROUP_ID: uniqueName('projector'),
    };

    /** The four apps on the same topics, groups and database; stopped by the returned cleanup. */
    const pipeline = async (): Promise<{ h: IngestServer; stop: () => Promise<void> }> => {
      const apps = suiteCleanup();
      try {
        const h = await startIngest(apps.hooks, { SLUICE_MYSQL_URL: db.url }, { bucket, topicPrefix });
        await startApp(apps.hooks, 'part-writer', h, groups);
        await startApp(apps.hooks, 'assembler', h, groups);
        await startProjector(apps.hooks, h, db.url, groups);
        return { h, stop: () => apps.run() };
      } catch (err) {
        await apps.run();
        throw err;
      }
    };

    const before = await pipeline();
    await landFiles(before.h.client, 3);
    await before.stop();

    await infra('down');
    await infra('up');

    const after = await pipeline();
    await landFiles(after.h.client, 3);
    // The projector has caught up when all six uploads are listed as completed.
    for (let i = 0; ; i++) {
      const page = await after.h.client.list({ pageSize: 100, status: UploadStatus.UPLOAD_STATUS_COMPLETED });
      if (page.uploads.length === 6) break;
      assert.ok(i < 600, `the projection shows ${page.uploads.length} of 6 completed uploads`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await after.stop();

    // A registry that forgot its schemas is refused by the first app that starts, naming what it
    // found; restoring the registry's storage (here: starting it on its journal again) mends it.
    await infra('down', 'apicurio');
    await infra('up', 'apicurio', { SLUICE_APICURIO_STORAGE: 'forgetful' });
    try {
      await assert.rejects(pipeline(), (err: Error) => {
        assert.match(
          err.message,
          /ingest-api exited \(2\): ingest-api: refusing to start: the schema registry at/,
        );
        assert.match(
          err.message,
          new RegExp(`${topicPrefix}intake\\.chunks partition \\d offset \\d+: contentId \\d+`),
        );
        assert.match(err.message, /Restore the\s+registry's storage/);
        return true;
      });
    } finally {
      await infra('down', 'apicurio');
      await infra('up', 'apicurio');
    }

    // The projection rebuilt from offset 0 matches the live one.
    const rebuild = await run(process.execPath, ['apps/projector/src/main.ts', 'rebuild'], {
      cwd: ROOT,
      env: { ...process.env, ...after.h.appEnv, SLUICE_MYSQL_URL: db.url, ...groups },
      timeout: 300_000,
    }).catch((err: { code?: number; stdout?: string; stderr?: string }) => {
      assert.fail(`projector rebuild exited ${err.code}: ${err.stdout ?? ''}${err.stderr ?? ''}`);
    });
    assert.match(rebuild.stdout, /rebuild: \d+ rows compared: identical/);

    // A fresh consumer of each topic (what a new consumer group of each app would read) decodes every record.
    const backbone = await testBackbone(topicPrefix, { t, clientId: 'replay-check' });
    const names = EVENT_TOPICS.map((topic) => backbone.topics[topic]);
    const counts = await recordCounts(backbone, names);
    for (const topic of EVENT_TOPICS) {
      const name = backbone.topics[topic];
      const total = counts.get(name) ?? 0;
      assert.ok(total > 0, `${name} has records`);
      const consumer = backbone.consumer(uniqueName(`replay-${topic}`));
      const stream = await consumer.consume({ topics: [name], mode: 'earliest', autocommit: false });
      let decoded = 0;
      for await (const m of stream) {
        await backbone.codecs[topic].decode(m.value ?? Buffer.alloc(0));
        if (++decoded === total) break;
      }
      await stream.close();
      assert.equal(decoded, total, `${name}: every record decodes`);

      // The stock Java deserializer decodes every record too (it exits non-zero on the first it cannot).
      const java = await runJavaInterop(
        ['consume', kafkaBrokers().join(','), serviceUrl('apicurio'), name, String(total), '120000'],
        180_000,
      );
      assert.equal(java.length, total, `${name}: the Java consumer decoded ${java.length} of ${total}`);
    }
  });
});

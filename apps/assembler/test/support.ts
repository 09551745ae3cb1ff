/**
 * What the app's tests share beyond the lib's doubles (re-exported here): a backbone on
 * topics of the test's own, a consumer that collects `intake.uploads`, and a way to wait.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventBackbone } from '@sluice/kafka';
import type { UploadEvent } from '@sluice/proto';
import { eventTopicPrefix, kafkaBrokers, requireServices, serviceUrl, uniqueName } from '@sluice/testing';
import { Registry } from 'prom-client';
import { silent } from '@sluice/assembler-core/testing';

export * from '@sluice/assembler-core/testing';

/** A backbone on topics of the test's own (deleted after it), with `partitions` each. */
export async function testBackbone(t: TestContext, partitions = 2): Promise<EventBackbone> {
  await requireServices(['kafka', 'apicurio']);
  const topicPrefix = eventTopicPrefix(t, 'asm');
  const backbone = await EventBackbone.connect({
    brokers: kafkaBrokers(),
    registryUrl: serviceUrl('apicurio'),
    topicPrefix,
    partitions,
    clientId: 'assembler-test',
    logger: silent,
    metrics: new Registry(),
  });
  t.after(() => backbone.close());
  return backbone;
}

/** The prefix `testBackbone` gave its topics. */
export function topicPrefixOf(backbone: EventBackbone): string {
  return backbone.topics['intake.uploads'].slice(0, -'intake.uploads'.length);
}

/** Every event on `intake.uploads`, as a downstream consumer sees them (duplicates included). */
export async function collectUploads(t: TestContext, backbone: EventBackbone): Promise<UploadEvent[]> {
  const seen: UploadEvent[] = [];
  const processor = backbone.processor('intake.uploads', {
    name: 'collector',
    groupId: uniqueName('collector'),
    handle: (record) => {
      seen.push(record.value);
      return Promise.resolve();
    },
  });
  await processor.start();
  t.after(() => processor.close());
  return seen;
}

/** Waits until `ready()` holds, checking every 50 ms; fails after `limitMs` with `what`. */
export async function waitFor(
  what: string,
  ready: () => boolean | Promise<boolean>,
  limitMs = 45_000,
): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${limitMs} ms`);
    await sleep(50);
  }
}

/** Writes the tenants file to a directory removed after the test; returns its path. */
export async function tenantsFile(t: TestContext, json: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'asm-tenants-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'tenants.json');
  await writeFile(path, json);
  return path;
}

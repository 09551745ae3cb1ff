/**
 * Which drive an outcome's clean-up acts on when drive names repeat across tenants: the upload's
 * tenant's, and for a clean-up stored without a tenant, the one drive of that name or none.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { describe, it } from 'node:test';
import { createMetricsRegistry } from '@sluice/http';
import { MemoryObjectStore } from '@sluice/storage';
import { parseTenants, type Drive, type Tenants } from '@sluice/tenants';
import { OutcomePublisher, assemblerMetrics, failedOutcome, type StoredCleanup } from '../src/index.ts';
import { EventSink, memoryState, silent, writeFile } from './support.ts';

const bucket = 'files';

/** A tenants file from `{ tenant: [drive names] }`, every drive on bucket `files`. */
function tenantsOf(drives: Record<string, readonly string[]>): Tenants {
  const drive = (name: string) => ({
    name,
    endpoint: 'http://127.0.0.1:1',
    bucket,
    credentials: { accessKeyIdEnv: 'TEST_KEY', secretAccessKeyEnv: 'TEST_SECRET' },
  });
  const tenants = Object.entries(drives).map(([name, names]) => ({
    name,
    apiKeys: [{ key: randomUUID() }],
    drives: names.map(drive),
  }));
  return parseTenants(JSON.stringify({ tenants }), {
    env: { TEST_KEY: 'k', TEST_SECRET: 's' },
    readFile: () => '',
  });
}

/** A publisher whose every drive has an object store of its own, each holding an object at `key`. */
async function setup(tenants: Tenants, key: string) {
  const stores = new Map<Drive, MemoryObjectStore>();
  for (const drive of tenants.drives) {
    const store = new MemoryObjectStore();
    store.createBucket(bucket);
    await writeFile({ drive, store, bucket }, { data: randomBytes(100), key });
    stores.set(drive, store);
  }
  const state = memoryState();
  const sink = new EventSink();
  const publisher = new OutcomePublisher({
    tenants,
    objects: { for: (drive) => stores.get(drive)! },
    store: state.store,
    staging: state.staging,
    events: sink,
    logger: silent,
    metrics: assemblerMetrics(createMetricsRegistry('assembler')),
  });
  const holds = async (tenant: string, drive: string) =>
    (await stores.get(tenants.driveOf(tenant, drive)!)!.headObject({ bucket, key, versionId: '' })) !==
    undefined;
  return { publisher, sink, holds };
}

/** Publishes an UploadFailed of an upload on `drive` of `tenant` that owes `cleanup`. */
async function publishFailure(
  publisher: OutcomePublisher,
  tenant: string,
  drive: string,
  cleanup: StoredCleanup,
): Promise<void> {
  const who = { uploadId: randomUUID(), nodeId: randomUUID(), tenant, drive };
  const failed = failedOutcome(
    who,
    { code: 'CHECKSUM_MISMATCH', message: 'bad', details: {} },
    [],
    new Date(),
  );
  await publisher.settle(who.uploadId, { ...failed, cleanup: [cleanup] });
}

describe('OutcomePublisher', () => {
  it("runs a clean-up on its own tenant's drive when another tenant has a drive of the same name", async () => {
    const tenants = tenantsOf({ acme: ['docs'], globex: ['docs'] });
    const key = 'k/1';
    const s = await setup(tenants, key);
    const step = {
      kind: 'remove-object',
      tenant: 'globex',
      drive: 'docs',
      bucket,
      key,
      versionId: '',
    } as const;
    await publishFailure(s.publisher, 'globex', 'docs', step);
    assert.equal(await s.holds('globex', 'docs'), false, "globex's object is removed");
    assert.equal(await s.holds('acme', 'docs'), true, "acme's object, at the same bucket and key, is not");
    assert.equal(s.sink.events.length, 1);
  });

  it('runs a clean-up stored without a tenant on the one drive of its name, and skips it when two tenants have one', async () => {
    const key = 'k/2';
    const legacy = { kind: 'remove-object', drive: 'docs', bucket, key, versionId: '' } as const;

    const unique = await setup(tenantsOf({ acme: ['docs'], globex: ['vault'] }), key);
    await publishFailure(unique.publisher, 'acme', 'docs', legacy);
    assert.equal(await unique.holds('acme', 'docs'), false, 'the only drive "docs" is the one meant');
    assert.equal(await unique.holds('globex', 'vault'), true);

    const shared = await setup(tenantsOf({ acme: ['docs'], globex: ['docs'] }), key);
    await publishFailure(shared.publisher, 'acme', 'docs', legacy);
    assert.equal(await shared.holds('acme', 'docs'), true, 'neither tenant can be told to be the one meant');
    assert.equal(await shared.holds('globex', 'docs'), true);
    assert.equal(shared.sink.events.length, 1, 'the outcome is announced all the same');
  });
});

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { status } from '@grpc/grpc-js';
import { newUpload } from '@sluice/staging/testing';
import { KEYS, startIngest } from './harness.ts';

describe("a tenant's limits", { timeout: 60_000 }, () => {
  it('holds its open uploads to maxOpenUploads under a burst, and frees a place on seal or abort', async (t) => {
    const h = await startIngest(t, { acmeLimits: { maxOpenUploads: 3 } });
    const burst = await Promise.all(
      Array.from({ length: 12 }, () => h.rpc.initiate({ drive: 'docs' }, h.auth())),
    );
    const opened = burst.filter((r) => r.err === null).map((r) => r.res?.uploadId ?? '');
    assert.equal(opened.length, 3, 'exactly the limit, however many arrive at once');
    const refused = burst.find((r) => r.err !== null)?.err;
    assert.equal(refused?.code, status.RESOURCE_EXHAUSTED);
    assert.equal(refused?.metadata.get('sluice-error-code')[0], 'TENANT_UPLOAD_LIMIT');
    assert.ok(Number(refused?.metadata.get('grpc-retry-pushback-ms')[0]) > 0, 'with a pushback');
    assert.equal(
      (await h.rpc.initiate({ drive: 'vault' }, h.auth(KEYS.globex))).err,
      null,
      'other tenants go on',
    );
    const staged: string[] = [];
    for await (const page of h.staging.uploadIds()) staged.push(...page);
    assert.equal(staged.length, 4, 'a refused initiate leaves no upload behind: 3 of acme and 1 of globex');

    const [first, second] = opened;
    assert.equal((await h.rpc.abort({ uploadId: first, reason: 'done' }, h.auth())).err, null);
    assert.equal(
      (await h.rpc.chunk({ uploadId: second, chunkNumber: 0, data: randomBytes(10) }, h.auth())).err,
      null,
    );
    assert.equal((await h.rpc.complete({ uploadId: second, totalChunks: 1 }, h.auth())).err, null);
    const again = await Promise.all(
      Array.from({ length: 4 }, () => h.rpc.initiate({ drive: 'docs' }, h.auth())),
    );
    assert.equal(
      again.filter((r) => r.err === null).length,
      2,
      'the aborted and the sealed uploads freed two places',
    );
  });

  it('gives back the upload a retried initiate created, even at the limit', async (t) => {
    const h = await startIngest(t, { acmeLimits: { maxOpenUploads: 1 } });
    const first = await h.rpc.initiate({ drive: 'docs', clientRequestId: 'req-1' }, h.auth());
    const retry = await h.rpc.initiate({ drive: 'docs', clientRequestId: 'req-1' }, h.auth());
    assert.equal(retry.err, null, retry.err?.details);
    assert.equal(retry.res?.uploadId, first.res?.uploadId);
    assert.equal((await h.rpc.initiate({ drive: 'docs' }, h.auth())).err?.code, status.RESOURCE_EXHAUSTED);
  });

  it('admits, on retry, an upload whose first initiate died between creating and counting it', async (t) => {
    const h = await startIngest(t, { acmeLimits: { maxOpenUploads: 1 } });
    // The crash point: the upload is created, its place never taken, nothing announced.
    const { meta } = await h.staging.createUpload(newUpload({ tenant: 'acme', clientRequestId: 'req-2' }));
    assert.equal((await h.rpc.initiate({ drive: 'docs' }, h.auth())).err, null, 'it was not counted');
    const retry = await h.rpc.initiate({ drive: 'docs', clientRequestId: 'req-2' }, h.auth());
    assert.equal(retry.err, null, retry.err?.details);
    assert.equal(retry.res?.uploadId, meta.uploadId, 'the retry gets its upload back');
  });

  it('refuses chunk calls past maxChunksPerSecond with the wait for the next', async (t) => {
    const h = await startIngest(t, { acmeLimits: { maxChunksPerSecond: 5 } });
    const up = await h.rpc.initiate({ drive: 'docs' }, h.auth());
    const uploadId = up.res?.uploadId ?? '';
    const started = Date.now();
    const calls = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        h.rpc.chunk({ uploadId, chunkNumber: i, data: randomBytes(10) }, h.auth()),
      ),
    );
    const refilled = Math.floor(((Date.now() - started) * 5) / 1000);
    const taken = calls.filter((c) => c.err === null).length;
    assert.ok(
      taken >= 5 && taken <= 5 + refilled,
      `${taken} taken; the bucket holds 5 and refilled ${refilled}`,
    );
    const refused = calls.find((c) => c.err !== null)?.err;
    assert.equal(refused?.metadata.get('sluice-error-code')[0], 'TENANT_RATE_LIMIT');
    const wait = Number(refused?.metadata.get('grpc-retry-pushback-ms')[0]);
    assert.ok(wait > 0 && wait <= 200, `a pushback of ${wait} ms: at most one token's time`);
  });
});

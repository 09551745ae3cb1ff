import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { createMetricsRegistry } from '@sluice/http';
import { createLogger } from '@sluice/logging';
import {
  MysqlProjectionStore,
  toProjectionEvent,
  UploadQueries,
  type ProjectionRecord,
} from '@sluice/projection';
import { requireServices } from '@sluice/testing';
import { buildApp, type App } from '../src/app.ts';
import { mixedUploads, projectionDatabase } from './fixtures.ts';

async function app(t: TestContext): Promise<App> {
  await requireServices(['mysql']);
  const db = await projectionDatabase(t);
  const offsets = new Map<string, bigint>();
  const records: ProjectionRecord[] = mixedUploads(12, { copies: false }).map((e) => {
    const offset = offsets.get(e.topic) ?? 0n;
    offsets.set(e.topic, offset + 1n);
    return {
      topic: e.topic,
      partition: 0,
      offset,
      event: toProjectionEvent(e.topic, e.envelope, new Date(0)),
    };
  });
  await new MysqlProjectionStore({ pool: db.pool, groupId: 'g' }).apply(records);
  const built = buildApp({
    logger: createLogger({ service: 'projector', level: 'silent' }),
    registry: createMetricsRegistry('projector'),
    queries: new UploadQueries({ pool: db.pool }),
  });
  t.after(() => built.http.close());
  return built;
}

describe('projector HTTP API', () => {
  it('answers /healthz and exposes its process metrics', async (t) => {
    const a = await app(t);
    assert.equal((await a.http.inject('/healthz')).statusCode, 200);
    const metrics = await a.http.inject('/metrics');
    assert.match(metrics.body, /^process_cpu_seconds_total\{app="projector"\} /m);
  });

  it('answers GET /v1/uploads/:id from MySQL, and 404 through the catalogue when unknown', async (t) => {
    const a = await app(t);
    const res = await a.http.inject('/v1/uploads/up-0000');
    assert.equal(res.statusCode, 200);
    const body = res.json<Record<string, unknown>>();
    assert.equal(body['status'], 'COMPLETED');
    assert.equal(body['tenant'], 'tenant-0');
    assert.deepEqual(body['staged_chunks'], [0, 1, 2]);
    assert.equal(body['bytes_staged'], 3 * 4096);
    assert.equal((body['checksums'] as Record<string, unknown>)['mode'], 'crc64nvme');
    assert.equal(typeof (body['checksums'] as Record<string, unknown>)['crc64nvme'], 'string');
    assert.equal(
      (await a.http.inject('/v1/uploads/up-0000?chunks=false')).json<Record<string, unknown>>()[
        'staged_chunks'
      ],
      undefined,
    );

    const missing = await a.http.inject('/v1/uploads/nope');
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.json<{ code: string }>().code, 'UPLOAD_NOT_FOUND');
    const otherTenant = await a.http.inject('/v1/uploads/up-0000?tenant=tenant-1');
    assert.equal(otherTenant.statusCode, 404);
  });

  it('lists uploads with filters and keyset pages', async (t) => {
    const a = await app(t);
    const ids: string[] = [];
    let token = '';
    do {
      const res = await a.http.inject(
        `/v1/uploads?tenant=tenant-0&page_size=2${token ? `&page_token=${token}` : ''}`,
      );
      assert.equal(res.statusCode, 200);
      const page = res.json<{ uploads: { upload_id: string }[]; next_page_token: string }>();
      ids.push(...page.uploads.map((u) => u.upload_id));
      token = page.next_page_token;
    } while (token);
    assert.deepEqual(ids, ['up-0009', 'up-0006', 'up-0003', 'up-0000']);

    const failedOrAborted = await a.http.inject('/v1/uploads?status=failed,ABORTED&drive=main');
    assert.deepEqual(
      failedOrAborted
        .json<{ uploads: { upload_id: string; status: string }[] }>()
        .uploads.map((u) => [u.upload_id, u.status]),
      [
        ['up-0007', 'FAILED'],
        ['up-0001', 'FAILED'],
      ],
    );
    const window = await a.http.inject(
      `/v1/uploads?created_after=${new Date(Date.UTC(2026, 5, 1) + 997).toISOString()}&created_before=${new Date(Date.UTC(2026, 5, 1) + 3 * 997).toISOString()}`,
    );
    assert.deepEqual(
      window.json<{ uploads: { upload_id: string }[] }>().uploads.map((u) => u.upload_id),
      ['up-0002', 'up-0001'],
    );
  });

  it('refuses malformed filters with 400 INVALID_ARGUMENT', async (t) => {
    const a = await app(t);
    for (const query of [
      'status=LOST',
      'created_after=yesterday',
      'page_size=-1',
      'page_size=99999',
      'page_token=%7B',
    ]) {
      const res = await a.http.inject(`/v1/uploads?${query}`);
      assert.equal(res.statusCode, 400, query);
      assert.equal(res.json<{ code: string }>().code, 'INVALID_ARGUMENT', query);
    }
  });
});

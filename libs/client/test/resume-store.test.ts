import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultResumeDir, FileResumeStore, type ResumeRecord } from '../src/resume-store.ts';

describe('FileResumeStore', () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), 'sluice-resume-'))));
  after(() => rm(dir, { recursive: true, force: true }));

  const key = { server: 's:1', drive: 'docs', requestedNodeId: '', path: '/data/a.bin' };
  const record: ResumeRecord = {
    version: 1,
    ...key,
    size: 100,
    mtimeMs: 5,
    chunkSize: 10,
    uploadId: 'u-1',
    nodeId: 'n-1',
    createdAt: '2026-01-01T00:00:00.000Z',
  };

  it('gives back what it saved while the file is unchanged, and forgets it when told', async () => {
    const store = new FileResumeStore(join(dir, 'a'));
    await store.save(record);
    assert.deepEqual(await store.load(key, { size: 100, mtimeMs: 5 }), record);
    assert.equal(await store.load({ ...key, drive: 'other' }, { size: 100, mtimeMs: 5 }), undefined);
    assert.equal(await store.load({ ...key, requestedNodeId: 'n' }, { size: 100, mtimeMs: 5 }), undefined);
    await store.remove(key);
    assert.equal(await store.load(key, { size: 100, mtimeMs: 5 }), undefined);
    assert.deepEqual(await readdir(store.dir), [], 'no temporary files left behind');
  });

  it('drops a record once the file changed', async () => {
    const store = new FileResumeStore(join(dir, 'b'));
    await store.save(record);
    assert.equal(await store.load(key, { size: 100, mtimeMs: 6 }), undefined);
    assert.deepEqual(await readdir(store.dir), []);
  });

  it('treats a torn record as none', async () => {
    const store = new FileResumeStore(join(dir, 'c'));
    await store.save(record);
    await writeFile(store.fileOf(key), '{"version": 1, "uploadI');
    assert.equal(await store.load(key, { size: 100, mtimeMs: 5 }), undefined);
  });

  it('lives under SLUICE_CACHE, else XDG_CACHE_HOME, else ~/.cache', () => {
    assert.equal(defaultResumeDir({ SLUICE_CACHE: '/c', XDG_CACHE_HOME: '/x' }), '/c/uploads');
    assert.equal(defaultResumeDir({ XDG_CACHE_HOME: '/x' }), '/x/sluice/uploads');
    assert.match(defaultResumeDir({}), /\.cache\/sluice\/uploads$/);
  });
});

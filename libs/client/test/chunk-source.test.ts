import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { appendFile, mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { openSource, type ChunkSource } from '../src/chunk-source.ts';

async function all(source: ChunkSource): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for (let c = await source.next(); c; c = await source.next()) out.push(Buffer.from(c));
  await source.finish();
  await source.close();
  return out;
}

function assertCut(chunks: Buffer[], data: Buffer, size: number): void {
  assert.equal(chunks.length, Math.ceil(data.length / size));
  chunks.forEach((c, i) => {
    assert.equal(c.length, i < chunks.length - 1 ? size : data.length - size * i, `chunk ${i}`);
  });
  assert.ok(Buffer.concat(chunks).equals(data));
}

describe('openSource', () => {
  let dir: string;
  before(async () => (dir = await mkdtemp(join(tmpdir(), 'sluice-chunks-'))));
  after(() => rm(dir, { recursive: true, force: true }));

  it('cuts files, buffers and streams at the same boundaries', async () => {
    const data = randomBytes(100_003);
    const path = join(dir, 'f.bin');
    await writeFile(path, data);
    // Stream pieces smaller than, equal to and larger than a chunk, and text.
    const pieces: Array<Buffer | string> = [
      data.subarray(0, 10),
      data.subarray(10, 40_010),
      data.subarray(40_010, 100_000),
      data.subarray(100_000).toString('latin1'),
    ];
    for (const source of [
      path,
      data,
      Readable.from(pieces.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : p))),
    ]) {
      const chunks = await openSource(source, 16_384);
      assert.equal(
        chunks.size,
        typeof source === 'string' || Buffer.isBuffer(source) ? data.length : undefined,
      );
      assertCut(await all(chunks), data, 16_384);
    }
    const text = await all(await openSource(Readable.from(['ab', 'cde', 'f']), 4));
    assert.deepEqual(text.map(String), ['abcd', 'ef']);
  });

  it('gives an empty source no chunks at all', async () => {
    const path = join(dir, 'empty');
    await writeFile(path, '');
    for (const source of [path, Buffer.alloc(0), Readable.from([])]) {
      assert.deepEqual(await all(await openSource(source, 1024)), []);
    }
  });

  it('names the file it reads', async () => {
    const path = join(dir, 'named.txt');
    await writeFile(path, 'x');
    assert.equal((await openSource(path, 8)).name, 'named.txt');
  });

  it('says which file is missing, or is not a file', async () => {
    await assert.rejects(openSource(join(dir, 'gone'), 8), {
      code: 'FILE_NOT_FOUND',
      message: /no file .*gone: check the path/,
    });
    await assert.rejects(openSource(dir, 8), { code: 'SOURCE_UNREADABLE', message: /is a directory/ });
  });

  it('notices a file that shrinks or grows while it is read', async () => {
    const shrinks = join(dir, 'shrinks');
    await writeFile(shrinks, randomBytes(64));
    const a = await openSource(shrinks, 16);
    await a.next();
    await truncate(shrinks, 20);
    await assert.rejects(a.next(), { code: 'SOURCE_CHANGED', message: /ended at 20 bytes/ });
    await a.close();

    const grows = join(dir, 'grows');
    await writeFile(grows, randomBytes(32));
    const b = await openSource(grows, 16);
    await b.next();
    await b.next();
    assert.equal(await b.next(), undefined);
    await appendFile(grows, 'more');
    await assert.rejects(b.finish(), { code: 'SOURCE_CHANGED', message: /size went from 32 to 36/ });
    await b.close();
  });

  it('reports a stream that fails as unreadable', async () => {
    const broken = new Readable({
      read() {
        this.destroy(new Error('connection reset'));
      },
    });
    const source = await openSource(broken, 8);
    await assert.rejects(source.next(), { code: 'SOURCE_UNREADABLE', message: /connection reset/ });
  });
});

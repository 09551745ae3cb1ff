import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { Redis } from 'ioredis';
import { isCluster } from '@sluice/redis';
import { createRedisPrefix, requireServices } from '@sluice/testing';
import { RedisStaging } from '../src/index.ts';
import { READER_NAME, SegmentMissing, SegmentReader } from '../src/segment-reader.ts';
import { newUpload, stageChunk } from './staging-store.suite.ts';

/** The commands a client sent, read from RESP arrays of bulk strings. */
function commandsIn(data: Buffer): string[][] {
  const out: string[][] = [];
  const text = data.toString('latin1');
  let i = 0;
  while (i < text.length) {
    const count = Number(text.slice(i + 1, text.indexOf('\r\n', i)));
    i = text.indexOf('\r\n', i) + 2;
    const args: string[] = [];
    for (let k = 0; k < count; k++) {
      const size = Number(text.slice(i + 1, text.indexOf('\r\n', i)));
      i = text.indexOf('\r\n', i) + 2;
      args.push(text.slice(i, i + size));
      i += size + 2;
    }
    out.push(args);
  }
  return out;
}

/**
 * A RESP server that answers each command with `answer(args)`, one byte per socket write, so
 * the reader meets every reply split at every place.
 */
async function byteByByteServer(
  t: TestContext,
  answer: (args: string[]) => Buffer,
): Promise<{ port: number; seen: string[][] }> {
  const seen: string[][] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('data', (data) => {
      const reply = Buffer.concat(
        commandsIn(data).map((args) => {
          seen.push(args);
          return answer(args);
        }),
      );
      const send = (at: number): void => {
        if (at >= reply.length || socket.destroyed) return;
        socket.write(reply.subarray(at, at + 1), () => setImmediate(() => send(at + 1)));
      };
      send(0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return { port: (server.address() as AddressInfo).port, seen };
}

const bulk = (value: Buffer): Buffer =>
  Buffer.concat([Buffer.from(`$${value.length}\r\n`), value, Buffer.from('\r\n')]);

describe('SegmentReader', () => {
  it('reads replies split anywhere, after its handshake, and fails only the reads Redis refused', async (t) => {
    const values = new Map([
      ['a', randomBytes(40_000)],
      ['b', randomBytes(3)],
      ['c', Buffer.alloc(0)],
    ]);
    const { port, seen } = await byteByByteServer(t, (args) => {
      const [name, key = '', from, to] = args;
      if (name === 'AUTH' || name === 'SELECT' || name === 'CLIENT') return Buffer.from('+OK\r\n');
      if (key === 'wrong-type')
        return Buffer.from('-WRONGTYPE Operation against a key holding the wrong kind of value\r\n');
      const value = values.get(key);
      if (!value) return Buffer.from('$-1\r\n');
      return bulk(name === 'GETRANGE' ? value.subarray(Number(from), Number(to) + 1) : value);
    });
    const reader = new SegmentReader({ host: '127.0.0.1', port, username: 'u', password: 'p w', db: 3 });
    t.after(() => reader.close());

    const a = Buffer.alloc(40_000);
    const part = Buffer.alloc(30_000);
    const b = Buffer.alloc(3);
    const c = Buffer.alloc(0);
    await reader.read([
      { key: 'a', into: a },
      { key: 'a', start: 5_000, into: part },
      { key: 'b', into: b },
      { key: 'c', into: c },
    ]);
    assert.deepEqual(a, values.get('a'));
    assert.deepEqual(part, values.get('a')!.subarray(5_000, 35_000));
    assert.deepEqual(b, values.get('b'));
    assert.deepEqual(seen.slice(0, 3), [
      ['AUTH', 'u', 'p w'],
      ['SELECT', '3'],
      ['CLIENT', 'SETNAME', READER_NAME],
    ]);
    assert.deepEqual(seen[4], ['GETRANGE', 'a', '5000', '34999']);

    // Each in its own batch, all on the wire at once: only the bad ones fail.
    const missing = reader.read([
      { key: 'b', into: Buffer.alloc(3) },
      { key: 'gone', into: Buffer.alloc(10) },
    ]);
    const short = reader.read([{ key: 'b', into: Buffer.alloc(4) }]);
    const refused = reader.read([{ key: 'wrong-type', into: Buffer.alloc(1) }]);
    const fine = Buffer.alloc(40_000);
    const after = reader.read([{ key: 'a', into: fine }]);
    await assert.rejects(missing, (e: unknown) => e instanceof SegmentMissing && e.key === 'gone');
    await assert.rejects(short, (e: unknown) => e instanceof SegmentMissing && e.key === 'b');
    await assert.rejects(refused, /WRONGTYPE/);
    await after;
    assert.deepEqual(fine, values.get('a'));
    assert.equal(seen.filter(([name]) => name === 'AUTH').length, 1, 'one connection throughout');
  });

  it('fails the reads of a connection that drops mid-value, and connects again for the next', async (t) => {
    const value = randomBytes(100_000);
    let connections = 0;
    const server = createServer((socket) => {
      const first = ++connections === 1;
      socket.on('data', (data) => {
        for (const [name] of commandsIn(data)) {
          if (name !== 'GET') socket.write('+OK\r\n');
          else if (first)
            socket.write(
              Buffer.concat([Buffer.from(`$${value.length}\r\n`), value.subarray(0, 50_000)]),
              () => socket.destroy(),
            );
          else socket.write(bulk(value));
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => server.close());
    const reader = new SegmentReader({ host: '127.0.0.1', port: (server.address() as AddressInfo).port });
    t.after(() => reader.close());
    await assert.rejects(reader.read([{ key: 'v', into: Buffer.alloc(value.length) }]), /closed/);
    const out = Buffer.alloc(value.length);
    await reader.read([{ key: 'v', into: out }]);
    assert.deepEqual(out, value);
    assert.equal(connections, 2);
  });

  it('names its connection on Redis, and comes back after Redis drops it', async (t) => {
    await requireServices(['redis']);
    const { redis, prefix } = createRedisPrefix(t);
    if (isCluster(redis)) return t.skip('a Redis Cluster is read through ioredis');
    const value = randomBytes(2 * 1024 * 1024);
    await redis.set(`${prefix}v`, value);
    const reader = SegmentReader.of(redis);
    assert.ok(reader, 'one Redis over TCP gets a reader');
    t.after(() => reader.close());
    const out = Buffer.alloc(value.length);
    await reader.read([{ key: `${prefix}v`, into: out }]);
    assert.deepEqual(out, value);

    const id = ((await redis.call('CLIENT', 'LIST')) as string)
      .split('\n')
      .find((line) => line.includes(`name=${READER_NAME}`))
      ?.match(/id=(\d+)/)?.[1];
    assert.ok(id, 'the reader names its connection');
    await redis.call('CLIENT', 'KILL', 'ID', id);
    // The first read may still go out on the dead connection (and fail); the next connects anew.
    let failed = 0;
    const again = Buffer.alloc(value.length - 1);
    for (;;) {
      try {
        await reader.read([{ key: `${prefix}v`, start: 1, into: again }]);
        break;
      } catch (err) {
        if (++failed > 1) throw err;
      }
    }
    assert.deepEqual(again, value.subarray(1));
  });

  it('is not used where it cannot go, and staging reads through ioredis when it fails', async (t) => {
    await requireServices(['redis']);
    const { redis, prefix } = createRedisPrefix(t);
    assert.equal(SegmentReader.of(new Redis({ lazyConnect: true, tls: {} })), undefined, 'not over TLS');
    if (isCluster(redis)) return t.skip('a Redis Cluster is read through ioredis');
    assert.equal(SegmentReader.of(new Redis({ lazyConnect: true, path: '/tmp/redis.sock' })), undefined);

    const staging = new RedisStaging({ redis, segmentSize: 64 * 1024, namespace: prefix.slice(0, -1) });
    t.after(() => staging.close());
    const { meta } = await staging.createUpload(newUpload());
    const data = randomBytes(300_000);
    const record = await stageChunk(staging, meta.uploadId, 0, data);
    // The reader is made at the first read, from the client's options: there it finds a server
    // that hangs up on every connection, as a proxy refusing its handshake would.
    let connections = 0;
    const refusing = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => refusing.listen(0, '127.0.0.1', resolve));
    t.after(() => refusing.close());
    const { options } = redis;
    const { port } = options;
    options.port = (refusing.address() as AddressInfo).port;
    const segments = staging.segmentsOf(meta.uploadId, record);
    const out = Buffer.alloc(data.length - 10);
    await staging.readRangeInto(segments, 10, out);
    const again = Buffer.alloc(data.length);
    await staging.readRangeInto(segments, 0, again);
    options.port = port;
    assert.deepEqual(out, data.subarray(10));
    assert.deepEqual(again, data);
    assert.equal(connections, 1, 'after a failure, reads go through ioredis for a while');
  });
});

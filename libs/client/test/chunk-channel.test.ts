import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  Metadata,
  Server,
  ServerCredentials,
  status as Status,
  type sendUnaryData,
  type ServerUnaryCall,
  type ServiceError,
} from '@grpc/grpc-js';
import {
  IntakeServiceZeroCopyService,
  UploadChunkRequest,
  type UploadChunkResponse,
  type UploadChunkRequest as Request,
} from '@sluice/proto';
import { makeTlsFiles } from '@sluice/testing';
import { ChunkChannel, type ChunkChannelOptions } from '../src/chunk-channel.ts';

const MiB = 1024 * 1024;

type Handler = (
  call: ServerUnaryCall<Request, UploadChunkResponse>,
  done: sendUnaryData<UploadChunkResponse>,
) => void;

/** A grpc-js server of UploadChunk alone, as ingest-api serves it, doing what `handler` says. */
async function grpcServer(
  handler: Handler,
  credentials = ServerCredentials.createInsecure(),
): Promise<{ target: string; server: Server }> {
  const server = new Server({ 'grpc.max_receive_message_length': 80 * MiB });
  server.addService(IntakeServiceZeroCopyService, { uploadChunk: handler });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { target: `127.0.0.1:${port}`, server };
}

function call(
  channel: ChunkChannel,
  request: Partial<Request>,
  options: { deadline?: number; metadata?: Metadata } = {},
): Promise<UploadChunkResponse> {
  return new Promise((resolve, reject) =>
    channel.uploadChunk(
      UploadChunkRequest.fromPartial(request),
      options.metadata ?? new Metadata(),
      options,
      (err, res) => (err ? reject(err) : res ? resolve(res) : reject(new Error('no answer'))),
    ),
  );
}

describe('ChunkChannel', { timeout: 60_000 }, () => {
  const received: { request: Request; auth: unknown }[] = [];
  let behave: Handler = (c, done) => {
    received.push({ request: c.request, auth: c.metadata.get('authorization')[0] });
    done(null, {
      chunkNumber: c.request.chunkNumber,
      size: BigInt(c.request.data.length),
      sha256: 'ab',
      duplicate: false,
    });
  };
  let target = '';
  let server: Server;
  let channel: ChunkChannel;
  const opened: ChunkChannel[] = [];
  const open = (options?: ChunkChannelOptions, at = target): ChunkChannel => {
    const c = new ChunkChannel(at, options);
    opened.push(c);
    return c;
  };
  before(async () => {
    ({ target, server } = await grpcServer((c, done) => behave(c, done)));
    channel = open();
  });
  after(() => {
    for (const c of opened) c.close();
    server.forceShutdown();
  });

  it('delivers the request a grpc-js server decodes, with its metadata, and returns the answer', async () => {
    const metadata = new Metadata();
    metadata.set('authorization', 'Bearer k');
    const cases: Partial<Request>[] = [
      { uploadId: 'u1', chunkNumber: 0, data: Buffer.alloc(0) },
      { uploadId: 'u1', chunkNumber: 7, data: randomBytes(1000), sha256: 'f'.repeat(64), force: true },
      { uploadId: 'u1', chunkNumber: 3, data: randomBytes(8 * MiB + 3) },
    ];
    for (const request of cases) {
      received.length = 0;
      const res = await call(channel, request, { metadata });
      assert.equal(res.chunkNumber, request.chunkNumber);
      assert.equal(res.size, BigInt(request.data?.length ?? 0));
      assert.equal(received.length, 1);
      assert.deepEqual(received[0]?.request, UploadChunkRequest.fromPartial(request));
      assert.equal(received[0]?.auth, 'Bearer k');
    }
  });

  it('carries many large chunks at once on one connection', async () => {
    const chunks = Array.from({ length: 8 }, (_, n) => ({
      uploadId: 'u2',
      chunkNumber: n,
      data: randomBytes(8 * MiB),
    }));
    const answers = await Promise.all(chunks.map((c) => call(channel, c)));
    assert.deepEqual(
      answers.map((a) => a.chunkNumber),
      chunks.map((c) => c.chunkNumber),
    );
  });

  it("returns the server's status, message and trailers as a grpc-js ServiceError", async () => {
    behave = (_c, done) => {
      const trailers = new Metadata();
      trailers.set('sluice-error-code', 'UPLOAD_BUSY');
      trailers.set('grpc-retry-pushback-ms', '250');
      done({ code: Status.RESOURCE_EXHAUSTED, details: 'busy: try again (50% full)', metadata: trailers });
    };
    const err = (await call(channel, { uploadId: 'u3', data: randomBytes(10) }).catch(
      (e: unknown) => e,
    )) as ServiceError;
    assert.equal(err.code, Status.RESOURCE_EXHAUSTED);
    assert.equal(err.details, 'busy: try again (50% full)');
    assert.equal(err.metadata.get('sluice-error-code')[0], 'UPLOAD_BUSY');
    assert.equal(err.metadata.get('grpc-retry-pushback-ms')[0], '250');
  });

  it('answers DEADLINE_EXCEEDED past the deadline, and the server sees the call end', async () => {
    let cancelled!: () => void;
    const serverSaw = new Promise<void>((resolve) => (cancelled = resolve));
    behave = (c) => c.on('cancelled', cancelled);
    const err = (await call(
      channel,
      { uploadId: 'u4', data: randomBytes(10) },
      { deadline: Date.now() + 300 },
    ).catch((e: unknown) => e)) as ServiceError;
    assert.equal(err.code, Status.DEADLINE_EXCEEDED);
    await serverSaw;
  });

  it('answers CANCELLED when cancelled, and nothing after', async () => {
    behave = () => undefined;
    const answers: (ServiceError | null)[] = [];
    const pending = new Promise<void>((resolve) => {
      const c = channel.uploadChunk(
        UploadChunkRequest.fromPartial({ uploadId: 'u5', data: randomBytes(10) }),
        new Metadata(),
        {},
        (err) => {
          answers.push(err);
          resolve();
        },
      );
      setTimeout(() => c.cancel(), 50);
    });
    await pending;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(answers.length, 1);
    assert.equal(answers[0]?.code, Status.CANCELLED);
  });

  it('answers UNIMPLEMENTED from a server without the call, UNAVAILABLE where nothing listens', async () => {
    const bare = new Server();
    const port = await new Promise<number>((resolve, reject) =>
      bare.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    after(() => bare.forceShutdown());
    const unimplemented = (await call(open({}, `127.0.0.1:${port}`), { uploadId: 'u6' }).catch(
      (e: unknown) => e,
    )) as ServiceError;
    assert.equal(unimplemented.code, Status.UNIMPLEMENTED);

    const free = await new Promise<number>((resolve) => {
      const probe = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = probe.address() as { port: number };
        probe.close(() => resolve(p));
      });
    });
    const err = (await call(open({}, `127.0.0.1:${free}`), { uploadId: 'u6' }).catch(
      (e: unknown) => e,
    )) as ServiceError;
    assert.equal(err.code, Status.UNAVAILABLE);
    assert.match(err.details, /ECONNREFUSED/);
  });

  it('connects again after the server went away', async () => {
    behave = (c, done) =>
      done(null, { chunkNumber: c.request.chunkNumber, size: 0n, sha256: '', duplicate: false });
    const own = await grpcServer((c, done) => behave(c, done));
    const reach = open({}, own.target);
    assert.equal((await call(reach, { uploadId: 'u7', chunkNumber: 1 })).chunkNumber, 1);
    own.server.forceShutdown();
    const port = Number(own.target.split(':')[1]);
    const again = new Server();
    again.addService(IntakeServiceZeroCopyService, {
      uploadChunk: (x: Parameters<Handler>[0], d: Parameters<Handler>[1]) => behave(x, d),
    });
    await new Promise<number>((resolve, reject) =>
      again.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    after(() => again.forceShutdown());
    // A call may still meet the old connection as it closes (UNAVAILABLE, sent again, as the
    // uploader does); the next one connects anew.
    for (let attempt = 1; ; attempt++) {
      const res = await call(reach, { uploadId: 'u7', chunkNumber: 2 }).catch(
        (e: unknown) => e as ServiceError,
      );
      if (!(res instanceof Error)) {
        assert.equal(res.chunkNumber, 2);
        break;
      }
      assert.equal(res.code, Status.UNAVAILABLE);
      assert.ok(attempt < 3, `still ${res.details} after ${attempt} attempts`);
    }
  });

  it('speaks TLS and mTLS with the roots and certificate it is given, and refuses an unknown server', async (t) => {
    const files = makeTlsFiles(t);
    const other = makeTlsFiles(t, 'other');
    const pem = (f: string) => readFileSync(f);
    const tls = await grpcServer(
      (c, done) => done(null, { chunkNumber: c.request.chunkNumber, size: 0n, sha256: '', duplicate: false }),
      ServerCredentials.createSsl(
        pem(files.ca),
        [{ cert_chain: pem(files.serverCert), private_key: pem(files.serverKey) }],
        true,
      ),
    );
    after(() => tls.server.forceShutdown());
    const client = {
      rootCerts: pem(files.ca),
      certChain: pem(files.clientCert),
      privateKey: pem(files.clientKey),
    };
    assert.equal(
      (await call(open({ tls: client }, tls.target), { uploadId: 'u8', chunkNumber: 4 })).chunkNumber,
      4,
    );
    const noCert = (await call(open({ tls: { rootCerts: pem(files.ca) } }, tls.target), {
      uploadId: 'u8',
    }).catch((e: unknown) => e)) as ServiceError;
    assert.equal(noCert.code, Status.UNAVAILABLE, 'a server that asks for a client certificate refuses none');
    const stranger = (await call(open({ tls: { ...client, rootCerts: pem(other.ca) } }, tls.target), {
      uploadId: 'u8',
    }).catch((e: unknown) => e)) as ServiceError;
    assert.equal(stranger.code, Status.UNAVAILABLE, 'a server signed by a CA not trusted');
    const plain = (await call(open({}, tls.target), { uploadId: 'u8' }).catch(
      (e: unknown) => e,
    )) as ServiceError;
    assert.equal(plain.code, Status.UNAVAILABLE, 'plaintext to a TLS server');
  });

  it('refuses a target that is not host:port', () => {
    assert.throws(() => new ChunkChannel('dns:///example:1'), /host:port/);
    assert.throws(() => new ChunkChannel('example:1/path'), /host:port/);
  });
});

import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import {
  credentials,
  Metadata,
  Server,
  ServerCredentials,
  type sendUnaryData,
  type ServerUnaryCall,
} from '@grpc/grpc-js';
import {
  DEFAULT_RECEIVE_WINDOWS,
  IntakeServiceChunkClient,
  IntakeServiceZeroCopyService,
  widenReceiveWindows,
  type ReceiveWindows,
  type UploadChunkRequest,
  type UploadChunkResponse,
} from '../src/index.ts';
import { advertisedWindows } from '@sluice/testing';

const MiB = 1024 * 1024;
const servers: Server[] = [];
after(() => servers.forEach((s) => s.forceShutdown()));

/** A grpc-js server whose UploadChunk answers with the size it received. */
async function serve(windows?: ReceiveWindows): Promise<number> {
  const server = new Server({ 'grpc.max_receive_message_length': 64 * MiB });
  servers.push(server);
  if (windows !== undefined) widenReceiveWindows(server, windows);
  server.addService(IntakeServiceZeroCopyService, {
    uploadChunk: (
      call: ServerUnaryCall<UploadChunkRequest, UploadChunkResponse>,
      callback: sendUnaryData<UploadChunkResponse>,
    ) =>
      callback(null, {
        chunkNumber: call.request.chunkNumber,
        size: BigInt(call.request.data.length),
        sha256: '',
        duplicate: false,
      }),
  });
  return new Promise((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, port) =>
      err ? reject(err) : resolve(port),
    ),
  );
}

const advertised = (port: number) => advertisedWindows(`http://127.0.0.1:${port}`);

describe('widenReceiveWindows', () => {
  it('leaves grpc-js at Node’s 64 KiB when not called, so the checks below can fail', async () => {
    assert.deepEqual(await advertised(await serve()), { stream: 65_535, connection: 65_535 });
  });

  it('advertises the stream window in its settings and opens each connection to its window', async () => {
    assert.deepEqual(await advertised(await serve(DEFAULT_RECEIVE_WINDOWS)), DEFAULT_RECEIVE_WINDOWS);
    const windows = { stream: 2 * MiB, connection: 5 * MiB };
    assert.deepEqual(await advertised(await serve(windows)), windows);
  });

  it('keeps the server serving: a 12 MiB call arrives whole through 1 MiB windows', async () => {
    const port = await serve({ stream: MiB, connection: MiB });
    const client = new IntakeServiceChunkClient(`127.0.0.1:${port}`, credentials.createInsecure());
    try {
      const data = Buffer.alloc(12 * MiB, 7);
      const res = await new Promise<UploadChunkResponse>((resolve, reject) =>
        client.uploadChunk(
          { uploadId: 'u', chunkNumber: 3, data, sha256: '', force: false, crc32c: '' },
          new Metadata(),
          (err, r) => (err || !r ? reject(err ?? new Error('no answer')) : resolve(r)),
        ),
      );
      assert.equal(res.size, BigInt(12 * MiB));
      assert.equal(res.chunkNumber, 3);
    } finally {
      client.close();
    }
  });

  it('refuses a window HTTP/2 does not allow, naming which and what', () => {
    for (const bad of [65_534, 2 ** 31, 1.5 * MiB + 0.5, Number.NaN]) {
      for (const which of ['stream', 'connection'] as const) {
        assert.throws(
          () => widenReceiveWindows(new Server(), { stream: MiB, connection: MiB, [which]: bad }),
          (e: Error) =>
            e instanceof TypeError &&
            e.message.includes(`${which} receive window`) &&
            e.message.includes(String(bad)),
        );
      }
    }
  });

  it('fails at once when grpc-js no longer has what it changes', () => {
    assert.throws(
      () => widenReceiveWindows({} as Server, DEFAULT_RECEIVE_WINDOWS),
      /no commonServerOptions or _setupHandlers/,
    );
  });
});

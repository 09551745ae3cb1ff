/**
 * ingest-api's gRPC health, reflection and drain, on in-memory stores: health follows
 * readiness, reflection describes IntakeService, and a drain ends watches with a status that
 * says to reconnect while a chunk call in flight still finishes.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import {
  credentials,
  loadPackageDefinition,
  makeClientConstructor,
  status as GrpcStatus,
  type Client,
  type ClientDuplexStream,
  type GrpcObject,
  type ServiceClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { DEFAULT_RECEIVE_WINDOWS, IntakeServiceClient, type UploadChunkStreamRequest } from '@sluice/proto';
import { advertisedWindows, freePort } from '@sluice/testing';
import { service as healthService } from 'grpc-health-check';
import { grpcComponent } from '../src/grpc-component.ts';
import { INTAKE_SERVICE } from '../src/serving.ts';
import { auth } from './harness.ts';
import { follow, memoryIngest } from './memory-ingest.ts';

type HealthClient = Client & {
  check(req: { service: string }, cb: (err: ServiceError | null, res?: { status: string }) => void): void;
};

/** The app listening on a free port through the component main.ts uses, and its clients. */
async function listening(t: TestContext, options: Parameters<typeof memoryIngest>[1] = {}) {
  const ingest = await memoryIngest(t, options);
  const port = await freePort();
  const grpc = grpcComponent(
    ingest.app.grpc,
    { host: '127.0.0.1', port },
    { drain: () => ingest.app.serving.drain(), delayMs: 500, graceMs: 5000 },
  );
  await grpc.start();
  await ingest.app.serving.start();
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await grpc.close();
  };
  t.after(close);
  t.after(() => ingest.app.serving.close());
  const address = `127.0.0.1:${port}`;
  const client = new IntakeServiceClient(address, credentials.createInsecure());
  const Health = makeClientConstructor(healthService, 'Health') as unknown as new (
    ...args: ConstructorParameters<typeof Client>
  ) => HealthClient;
  const health = new Health(address, credentials.createInsecure());
  t.after(() => {
    client.close();
    health.close();
  });
  const check = (service = '') =>
    new Promise<string>((resolve, reject) =>
      health.check({ service }, (err, res) => (err ? reject(err) : resolve(res?.status ?? ''))),
    );
  return { ...ingest, address, client, check, close };
}

/** Asks the reflection service one question and returns its answer. */
function reflect(address: string, request: Record<string, string>): Promise<Record<string, unknown>> {
  const root = dirname(createRequire(import.meta.url).resolve('@grpc/reflection'));
  const definition = loadSync(join(root, '..', 'proto', 'grpc', 'reflection', 'v1', 'reflection.proto'));
  const pkg = loadPackageDefinition(definition) as unknown as {
    grpc: { reflection: { v1: GrpcObject & { ServerReflection: ServiceClientConstructor } } };
  };
  const client = new pkg.grpc.reflection.v1.ServerReflection(
    address,
    credentials.createInsecure(),
  ) as unknown as Client & {
    serverReflectionInfo(): ClientDuplexStream<Record<string, string>, Record<string, unknown>>;
  };
  return new Promise((resolve, reject) => {
    const call = client.serverReflectionInfo();
    call.on('data', (m: Record<string, unknown>) => {
      resolve(m);
      call.end();
      client.close();
    });
    call.on('error', reject);
    call.write(request);
  });
}

describe('ingest-api serving state', () => {
  it('answers the gRPC health check SERVING while ready, NOT_SERVING while a readiness check fails', async (t) => {
    let redisUp = true;
    const h = await listening(t, {
      readiness: [
        { name: 'redis', probe: () => (redisUp ? Promise.resolve() : Promise.reject(new Error('down'))) },
      ],
    });
    assert.equal(await h.check(), 'SERVING');
    assert.equal(await h.check(INTAKE_SERVICE), 'SERVING');
    redisUp = false;
    for (let i = 0; i < 100 && (await h.check()) !== 'NOT_SERVING'; i++)
      await new Promise((r) => setTimeout(r, 50));
    assert.equal(await h.check(INTAKE_SERVICE), 'NOT_SERVING');
    redisUp = true;
    for (let i = 0; i < 100 && (await h.check()) !== 'SERVING'; i++)
      await new Promise((r) => setTimeout(r, 50));
    assert.equal(await h.check(), 'SERVING');
  });

  it('opens each call and connection to its receive window, not Node’s 64 KiB', async (t) => {
    const byDefault = await listening(t);
    assert.deepEqual(await advertisedWindows(`http://${byDefault.address}`), DEFAULT_RECEIVE_WINDOWS);
    const windows = { stream: 1024 * 1024, connection: 3 * 1024 * 1024 };
    const configured = await listening(t, { receiveWindows: windows });
    assert.deepEqual(await advertisedWindows(`http://${configured.address}`), windows);
  });

  it('describes IntakeService through server reflection', async (t) => {
    const h = await listening(t);
    const list = (await reflect(h.address, { listServices: '' })) as {
      listServicesResponse?: { service: { name: string }[] };
    };
    const names = list.listServicesResponse?.service.map((s) => s.name) ?? [];
    assert.ok(names.includes(INTAKE_SERVICE), names.join(', '));
    const file = (await reflect(h.address, { fileContainingSymbol: INTAKE_SERVICE })) as {
      fileDescriptorResponse?: { fileDescriptorProto: Buffer[] };
    };
    const descriptors = file.fileDescriptorResponse?.fileDescriptorProto ?? [];
    assert.ok(descriptors.some((d) => d.toString('latin1').includes('UploadChunkStream')));
  });

  it('drains: health NOT_SERVING and /readyz 503, watches end UNAVAILABLE, a chunk call in flight finishes', async (t) => {
    const h = await listening(t);
    assert.equal(await h.check(), 'SERVING');
    const watch = follow(h.client, h.uploadId);
    while (watch.messages.length === 0) await new Promise((r) => setTimeout(r, 20));

    // A chunk streamed in two frames: the header before the drain, the data after it.
    const data = Buffer.from('drained but delivered');
    const sha256 = createHash('sha256').update(data).digest('hex');
    let answer: { err: ServiceError | null; res?: { duplicate: boolean } } | undefined;
    const stream = h.client.uploadChunkStream(auth(), (err, res) => (answer = { err, res }));
    const header: UploadChunkStreamRequest = {
      frame: {
        $case: 'header',
        value: {
          uploadId: h.uploadId,
          chunkNumber: 0,
          sha256,
          force: false,
          crc32c: '',
          size: BigInt(data.length),
        },
      },
    };
    stream.write(header);
    await new Promise((r) => setTimeout(r, 100));

    const closing = h.close();
    const end = await watch.ended;
    assert.equal(end.code, GrpcStatus.UNAVAILABLE);
    assert.match(end.details, /shutting down: watch the upload again/);
    assert.equal(await h.check(), 'NOT_SERVING');
    assert.equal((await h.app.http.inject({ method: 'GET', url: '/readyz' })).statusCode, 503);

    // Past the drain delay: the server no longer accepts connections, and waits for this call.
    await new Promise((r) => setTimeout(r, 700));
    stream.write({ frame: { $case: 'data', value: data } } satisfies UploadChunkStreamRequest);
    stream.end();
    await closing;
    assert.equal(answer?.err, null, answer?.err?.details);
    assert.equal(answer?.res?.duplicate, false);
    assert.equal((await h.staging.listChunks(h.uploadId)).length, 1);
  });
});

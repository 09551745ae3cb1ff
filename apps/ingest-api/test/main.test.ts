import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { IntakeServiceClient } from '@sluice/proto';

const main = join(import.meta.dirname, '..', 'src', 'main.ts');

async function freePort(): Promise<number> {
  const srv = createServer().listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const { port } = srv.address() as { port: number };
  srv.close();
  return port;
}

function start(env: Record<string, string>) {
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, SLUICE_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { child, exited, stderr: () => stderr };
}

async function waitForHealth(url: string, exited: Promise<unknown>): Promise<void> {
  let gone = false;
  void exited.then(() => (gone = true));
  for (let i = 0; i < 200 && !gone; i++) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${url} never answered`);
}

describe('ingest-api process', () => {
  it('serves /healthz and gRPC, and exits 0 on SIGTERM', async () => {
    const [http, grpc] = [await freePort(), await freePort()];
    const app = start({ SLUICE_INGEST_HTTP_PORT: String(http), SLUICE_INGEST_PORT: String(grpc) });
    try {
      await waitForHealth(`http://127.0.0.1:${http}/healthz`, app.exited);
      const client = new IntakeServiceClient(`127.0.0.1:${grpc}`, credentials.createInsecure());
      const err = await new Promise<ServiceError | null>((resolve) =>
        client.getUploadStatus({ uploadId: 'x' }, (e) => resolve(e)),
      );
      client.close();
      // Reaching the server at all is the point here; the intake service arrives with its issue.
      assert.ok(err && [status.UNIMPLEMENTED, status.NOT_FOUND, status.UNAUTHENTICATED].includes(err.code));
    } finally {
      app.child.kill('SIGTERM');
    }
    assert.equal(await app.exited, 0, app.stderr());
  });

  it('refuses a bad port before starting, naming the variable and the expected form', async () => {
    const app = start({ SLUICE_INGEST_PORT: 'abc' });
    assert.equal(await app.exited, 2);
    assert.match(app.stderr(), /SLUICE_INGEST_PORT="abc" is not valid; expected a TCP port/);
  });
});

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { createPool } from 'mysql2/promise';
import { SluiceClient } from '@sluice/client';
import { migrate } from '@sluice/projection';
import {
  advertisedWindows,
  createDatabase,
  eventTopicPrefix,
  freePort,
  makeTlsFiles,
  requireServices,
  uniqueName,
  type TlsFiles,
} from '@sluice/testing';
import { KEYS } from './harness.ts';
import { start, tenantsFile, waitFor } from './ingest-process.ts';

const SLUICE_CLI = join(import.meta.dirname, '..', '..', '..', 'libs', 'client', 'bin', 'sluice.js');
const execFileAsync = promisify(execFile);

/** ingest-api with the TLS variables given; stopped after the test. */
async function tlsIngest(t: TestContext, tls: Record<string, string>): Promise<string> {
  const [http, grpc] = [await freePort(), await freePort()];
  const app = start({
    // Not the defaults, so the test below sees the variables reach the server.
    SLUICE_INGEST_RECEIVE_WINDOW: '2MiB',
    SLUICE_INGEST_CONNECTION_WINDOW: '6MiB',
    SLUICE_INGEST_HTTP_PORT: String(http),
    SLUICE_INGEST_PORT: String(grpc),
    SLUICE_TENANTS_FILE: tenantsFile(t),
    SLUICE_TOPIC_PREFIX: eventTopicPrefix(t, 'ingest-tls'),
    SLUICE_REDIS_NAMESPACE: uniqueName('ns'),
    SLUICE_KAFKA_PARTITIONS: '1',
    ...tls,
  });
  t.after(async () => {
    app.child.kill('SIGTERM');
    await app.exited;
  });
  await waitFor(`http://127.0.0.1:${http}/readyz`, app.exited);
  return `127.0.0.1:${grpc}`;
}

/**
 * A migrated projection database of the test's own, so calls answered from the projection
 * (ListUploads) do not depend on another test having migrated the shared one first.
 */
async function projectionDatabase(t: TestContext): Promise<string> {
  const db = await createDatabase(t, { prefix: 'tls' });
  const pool = createPool({ uri: db.url, connectionLimit: 1, timezone: 'Z' });
  try {
    await migrate(pool);
  } finally {
    await pool.end();
  }
  return db.url;
}

/** Initiates an upload over a fresh connection; the error code when it cannot. */
async function initiate(
  server: string,
  tls: ConstructorParameters<typeof SluiceClient>[0]['tls'],
): Promise<string> {
  const client = new SluiceClient({
    server,
    apiKey: KEYS.acme,
    tls,
    connectTimeoutMs: 3000,
    // A connection of its own: grpc-js would otherwise reuse one an earlier client opened with
    // equal credentials, which still holds the certificate it started with.
    channelOptions: { 'grpc.use_local_subchannel_pool': 1 },
  });
  try {
    const upload = await client.initiate({ drive: 'docs' });
    return upload.uploadId ? 'ok' : 'no upload id';
  } catch (err) {
    return (err as { code?: string }).code ?? String(err);
  } finally {
    client.close();
  }
}

const trusting = (files: TlsFiles, withCert = false) => ({
  rootCerts: readFileSync(files.ca),
  ...(withCert
    ? { certChain: readFileSync(files.clientCert), privateKey: readFileSync(files.clientKey) }
    : {}),
});

describe('ingest-api over TLS', { timeout: 120_000 }, () => {
  it('serves TLS with the certificate it is given, to clients that trust its CA only', async (t) => {
    await requireServices(['redis', 'kafka', 'apicurio']);
    const files = makeTlsFiles(t);
    const other = makeTlsFiles(t, 'other');
    const server = await tlsIngest(t, {
      SLUICE_INGEST_TLS_CERT: files.serverCert,
      SLUICE_INGEST_TLS_KEY: files.serverKey,
    });
    assert.equal(await initiate(server, trusting(files)), 'ok');
    assert.deepEqual(
      await advertisedWindows(`https://${server}`, { ca: readFileSync(files.ca) }),
      { stream: 2 * 1024 * 1024, connection: 6 * 1024 * 1024 },
      'the receive windows of SLUICE_INGEST_RECEIVE_WINDOW and SLUICE_INGEST_CONNECTION_WINDOW, over TLS too',
    );
    assert.equal(await initiate(server, false), 'SERVER_UNAVAILABLE', 'plaintext is refused');
    assert.equal(await initiate(server, trusting(other)), 'SERVER_UNAVAILABLE', 'a CA it was not signed by');
  });

  it('requires a client certificate signed by the client CA under mTLS', async (t) => {
    await requireServices(['redis', 'kafka', 'apicurio']);
    const files = makeTlsFiles(t);
    const other = makeTlsFiles(t, 'other');
    const server = await tlsIngest(t, {
      SLUICE_INGEST_TLS_CERT: files.serverCert,
      SLUICE_INGEST_TLS_KEY: files.serverKey,
      SLUICE_INGEST_TLS_CLIENT_CA: files.ca,
      // The CLI below lists uploads, which ingest reads from the projection.
      SLUICE_DATABASE_URL: await projectionDatabase(t),
    });
    assert.equal(await initiate(server, trusting(files, true)), 'ok');
    assert.equal(await initiate(server, trusting(files)), 'SERVER_UNAVAILABLE', 'no client certificate');
    const stranger = {
      ...trusting(files),
      certChain: readFileSync(other.clientCert),
      privateKey: readFileSync(other.clientKey),
    };
    assert.equal(
      await initiate(server, stranger),
      'SERVER_UNAVAILABLE',
      'a client certificate of another CA',
    );
    // The CLI takes the same files from its variables (or --tls-ca, --tls-cert, --tls-key).
    const cli = (tls: Record<string, string>) =>
      execFileAsync(process.execPath, [SLUICE_CLI, 'ls', '--json', '--connect-timeout', '3s'], {
        env: { ...process.env, SLUICE_SERVER: server, SLUICE_API_KEY: KEYS.acme, ...tls },
      }).then(
        () => 0,
        (err: { code?: number }) => err.code ?? -1,
      );
    const withCert = {
      SLUICE_TLS_CA: files.ca,
      SLUICE_TLS_CERT: files.clientCert,
      SLUICE_TLS_KEY: files.clientKey,
    };
    assert.equal(await cli(withCert), 0);
    assert.notEqual(await cli({ SLUICE_TLS_CA: files.ca }), 0, 'the CLI without its certificate is refused');
  });

  it('serves a renewed certificate to new connections without a restart', async (t) => {
    await requireServices(['redis', 'kafka', 'apicurio']);
    const first = makeTlsFiles(t);
    const renewed = makeTlsFiles(t, 'renewed');
    // The server reads its own copies, which the "renewal" overwrites.
    const cert = `${first.dir}/served.pem`;
    const key = `${first.dir}/served.key`;
    copyFileSync(first.serverCert, cert);
    copyFileSync(first.serverKey, key);
    const server = await tlsIngest(t, {
      SLUICE_INGEST_TLS_CERT: cert,
      SLUICE_INGEST_TLS_KEY: key,
      SLUICE_INGEST_TLS_RELOAD: '200ms',
    });
    assert.equal(await initiate(server, trusting(first)), 'ok');
    copyFileSync(renewed.serverKey, key);
    copyFileSync(renewed.serverCert, cert);
    let answer = '';
    for (let i = 0; i < 100 && answer !== 'ok'; i++) {
      answer = await initiate(server, trusting(renewed));
      if (answer !== 'ok') await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(answer, 'ok', 'the renewed certificate is served');
    assert.equal(await initiate(server, trusting(first)), 'SERVER_UNAVAILABLE', 'the old one is not');
  });

  it('refuses to start on half a TLS configuration, naming what is missing', async (t) => {
    const files = makeTlsFiles(t);
    const app = start({ SLUICE_INGEST_TLS_CERT: files.serverCert, SLUICE_TENANTS_FILE: tenantsFile(t) });
    assert.equal(await app.exited, 2);
    assert.match(
      app.stderr(),
      /SLUICE_INGEST_TLS_KEY is not set: TLS needs both the certificate and its key/,
    );
    const missing = start({
      SLUICE_INGEST_TLS_CERT: `${files.dir}/nope.pem`,
      SLUICE_TENANTS_FILE: tenantsFile(t),
    });
    assert.notEqual(await missing.exited, 0);
    assert.match(
      missing.stderr(),
      /SLUICE_INGEST_TLS_CERT=.*nope\.pem.* is not valid; expected the path of a readable file/,
    );
  });
});

/**
 * Fuzzing a real ingest-api process (`test/fuzz.ts`): 3,000 generated requests in `npm test`,
 * 100,000 in `npm run test:fuzz` (SLUICE_FUZZ_REQUESTS). The process must answer every call
 * with a status, stay up, keep its memory bounded, and stop cleanly afterwards.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { it } from 'node:test';
import { eventTopicPrefix, freePort, requireServices, uniqueName } from '@sluice/testing';
import { fuzz } from './fuzz.ts';
import { KEYS } from './harness.ts';
import { start, tenantsFile, waitFor } from './ingest-process.ts';

const REQUESTS = Number(process.env['SLUICE_FUZZ_REQUESTS'] ?? 3000);
const SEED = Number(process.env['SLUICE_FUZZ_SEED'] ?? 20261203);

/** The peak resident memory of a process, in MiB (Linux). */
function peakRssMiB(pid: number): number {
  const line = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(line?.[1] ?? 0) / 1024;
}

it(
  `answers each of ${REQUESTS} fuzzed requests with a status, and stays up`,
  { timeout: 1_800_000 },
  async (t) => {
    await requireServices(['redis', 'kafka', 'apicurio']);
    const [http, grpc] = [await freePort(), await freePort()];
    const app = start({
      SLUICE_INGEST_HTTP_PORT: String(http),
      SLUICE_INGEST_PORT: String(grpc),
      SLUICE_TENANTS_FILE: tenantsFile(t),
      SLUICE_TOPIC_PREFIX: eventTopicPrefix(t, 'ingest-fuzz'),
      SLUICE_REDIS_NAMESPACE: uniqueName('fuzz'),
      SLUICE_KAFKA_PARTITIONS: '1',
      SLUICE_INGEST_MAX_STAGED_PER_UPLOAD: '64MiB',
      // The fuzzer sends bad keys on purpose; the brake on them is tested on its own.
      SLUICE_INGEST_AUTH_FAILURES_PER_MINUTE: '0',
    });
    t.after(() => app.child.kill('SIGKILL'));
    await waitFor(`http://127.0.0.1:${http}/readyz`, app.exited);
    const started = Date.now();
    const report = await fuzz({
      server: `127.0.0.1:${grpc}`,
      apiKey: KEYS.acme,
      requests: REQUESTS,
      seed: SEED,
    });
    const pid = app.child.pid ?? 0;
    const peak = peakRssMiB(pid);
    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(
      `fuzz: ${report.requests} requests in ${seconds.toFixed(0)} s, seed ${SEED}, unanswered ${report.unanswered}, ` +
        `peak RSS ${peak.toFixed(0)} MiB\n  statuses ${JSON.stringify(report.statuses)}\n  kinds ${JSON.stringify(report.kinds)}\n`,
    );
    assert.equal(app.child.exitCode, null, `ingest-api died during the run:\n${app.stderr().slice(-2000)}`);
    assert.equal(report.unanswered, 0, `calls never answered: ${report.examples.join('; ')}`);
    assert.ok(
      !('INTERNAL' in report.statuses),
      `no call failed INTERNAL: ${JSON.stringify(report.statuses)}`,
    );
    assert.ok(peak < 1024, `peak RSS ${peak.toFixed(0)} MiB stays bounded`);
    app.child.kill('SIGTERM');
    assert.equal(await app.exited, 0, 'and it stops cleanly afterwards');
  },
);

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTenants } from '@sluice/tenants';
import { DEFAULT_LIMITS, stagingCapRisk } from '../src/limits.ts';
import { tenantsEnv, tenantsText } from './harness.ts';

const MiB = 1024 * 1024;
const drives = (partSize: number) =>
  parseTenants(tenantsText(partSize), { env: tenantsEnv(), readFile: () => '' }).drives;

describe('stagingCapRisk', () => {
  it('finds nothing wrong with the defaults and 16 MiB parts', () => {
    assert.equal(stagingCapRisk(DEFAULT_LIMITS, drives(16 * MiB)), undefined);
  });

  it('names the values when a part and two of the largest chunks do not fit under the cap', () => {
    const limits = { ...DEFAULT_LIMITS, maxChunkBytes: MiB, maxStagedBytesPerUpload: 4 * MiB };
    const risk = stagingCapRisk(limits, drives(5 * MiB));
    assert.match(risk ?? '', /SLUICE_INGEST_MAX_STAGED_PER_UPLOAD is 4 MiB, below 7 MiB/);
    assert.match(risk ?? '', /drive acme\/docs \(5 MiB\)/);
    assert.match(risk ?? '', /SLUICE_INGEST_MAX_CHUNK, 1 MiB/);
    assert.equal(stagingCapRisk({ ...limits, maxStagedBytesPerUpload: 7 * MiB }, drives(5 * MiB)), undefined);
  });
});

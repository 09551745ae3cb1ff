import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTenants } from '@sluice/tenants';
import { DEFAULT_LIMITS, stagingBudgetRisks, stagingCapRisk } from '../src/limits.ts';
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

describe('stagingBudgetRisks', () => {
  const tenants = (maxStagedBytes?: number) =>
    parseTenants(tenantsText(5 * MiB, maxStagedBytes === undefined ? undefined : { maxStagedBytes }), {
      env: tenantsEnv(),
      readFile: () => '',
    });
  const limits = { ...DEFAULT_LIMITS, maxChunkBytes: MiB };

  it('finds nothing when no budget is set, or when each holds a part and two of the largest chunks', () => {
    const t = tenants();
    assert.deepEqual(
      stagingBudgetRisks(limits, t.drives, (n) => t.limits(n)),
      [],
    );
    const fits = tenants(7 * MiB);
    assert.deepEqual(
      stagingBudgetRisks({ ...limits, maxStagedBytesGlobal: 7 * MiB }, fits.drives, (n) => fits.limits(n)),
      [],
    );
  });

  it('names the tenant’s budget and the global one when they are below that', () => {
    const t = tenants(4 * MiB);
    const risks = stagingBudgetRisks({ ...limits, maxStagedBytesGlobal: 6 * MiB }, t.drives, (n) =>
      t.limits(n),
    );
    assert.equal(risks.length, 2);
    assert.match(risks[0] ?? '', /^SLUICE_INGEST_STAGED_BYTES_MAX is 6 MiB, below 7 MiB: a part \(5 MiB\)/);
    assert.match(risks[1] ?? '', /^maxStagedBytes of tenant acme is 4 MiB, below 7 MiB/);
  });
});

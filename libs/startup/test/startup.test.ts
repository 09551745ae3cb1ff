import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Startup } from '../src/index.ts';

class Exit extends Error {
  readonly code: number;
  constructor(code: number) {
    super(`exit ${code}`);
    this.code = code;
  }
}

function startup(): Startup {
  return new Startup('test-app', pino({ level: 'silent' }), (code) => {
    throw new Exit(code);
  });
}

describe('Startup', () => {
  it('ends with status 2 naming the tenants file when it cannot be read or is wrong', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-startup-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    assert.throws(
      () => startup().tenants(join(dir, 'missing.json')),
      (e: unknown) => e instanceof Exit && e.code === 2,
    );
    const bad = join(dir, 'tenants.json');
    writeFileSync(bad, '{"tenants": []}');
    assert.throws(() => startup().tenants(bad), Exit);
    writeFileSync(
      bad,
      JSON.stringify({
        tenants: [
          {
            name: 't',
            apiKeys: [{ key: 'k' }],
            drives: [
              {
                name: 'd',
                endpoint: 'http://x',
                bucket: 'b',
                credentials: { accessKeyIdEnv: 'A', secretAccessKeyEnv: 'B' },
              },
            ],
          },
        ],
      }),
    );
    assert.equal(startup().tenants(bad, { A: 'a', B: 'b' }).drive('t', 'd').bucket, 'b');
  });

  it('ends with status 2 naming Redis when it cannot be reached', async () => {
    await assert.rejects(
      startup().redis('redis://127.0.0.1:1'),
      (e: unknown) => e instanceof Exit && e.code === 2,
    );
  });
});

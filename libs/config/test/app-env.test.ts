import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { APPS, ConfigError, commonAppEnv, parseEnv } from '../src/index.ts';

describe('commonAppEnv', () => {
  it('defaults each app to its catalogue port', () => {
    for (const app of Object.keys(APPS) as (keyof typeof APPS)[]) {
      const cfg = parseEnv(commonAppEnv(app), {});
      assert.equal(cfg[APPS[app].httpPortEnv], APPS[app].httpPort);
      assert.equal(cfg.SLUICE_LOG_LEVEL, 'info');
    }
  });

  it('refuses an unknown log level, naming the allowed ones', () => {
    assert.throws(
      () => parseEnv(commonAppEnv('assembler'), { SLUICE_LOG_LEVEL: 'loud' }),
      (e: unknown) =>
        e instanceof ConfigError && /SLUICE_LOG_LEVEL="loud".*one of trace, debug/.test(e.message),
    );
  });
});

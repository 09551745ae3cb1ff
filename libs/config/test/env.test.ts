import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, env, parseEnv } from '../src/index.ts';

describe('parseEnv', () => {
  const schema = {
    PORT: env.port(8080),
    NAME: env.string(),
    SIZE: env.bytes(16 * 1024 ** 2),
    IDLE: env.duration(86_400_000),
    MODE: env.oneOf(['fixed', 'growing'], 'fixed'),
    ON: env.bool(false),
    BROKERS: env.hostPorts(['127.0.0.1:9092']),
    URL: env.url(['redis:', 'rediss:'], 'redis://127.0.0.1:6379'),
    KEY: env.secret('x'),
  };

  it('applies defaults and parses every form', () => {
    const cfg = parseEnv(schema, {
      NAME: 'n',
      SIZE: '8MiB',
      IDLE: '30s',
      ON: 'yes',
      BROKERS: 'a:1, b:2',
    });
    assert.deepEqual(
      { ...cfg },
      {
        PORT: 8080,
        NAME: 'n',
        SIZE: 8 * 1024 ** 2,
        IDLE: 30_000,
        MODE: 'fixed',
        ON: true,
        BROKERS: ['a:1', 'b:2'],
        URL: 'redis://127.0.0.1:6379',
        KEY: 'x',
      },
    );
    assert.ok(Object.isFrozen(cfg));
  });

  it('names every bad variable, its value and the expected form', () => {
    let err: unknown;
    try {
      parseEnv(schema, { PORT: 'abc', SIZE: '3 parsecs', URL: 'http://x', MODE: 'wild' });
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof ConfigError);
    assert.deepEqual(
      err.issues.map((i) => i.variable),
      ['PORT', 'NAME', 'SIZE', 'MODE', 'URL'],
    );
    assert.match(err.message, /PORT="abc" is not valid; expected a TCP port/);
    assert.match(err.message, /NAME is not set; expected a non-empty string/);
    assert.match(err.message, /MODE="wild" is not valid; expected one of fixed, growing/);
  });

  it('never echoes a secret', () => {
    const s = { TOKEN: env.secret() };
    assert.doesNotThrow(() => parseEnv(s, { TOKEN: 'abc' }));
    const bad = { N: { ...env.secret(), parse: () => undefined } };
    assert.throws(
      () => parseEnv(bad, { N: 'hunter2' }),
      (e: Error) => !e.message.includes('hunter2'),
    );
  });

  it('rejects ports out of range and non-integers', () => {
    for (const raw of ['65536', '-1', '1.5', '80x']) {
      assert.throws(() => parseEnv({ P: env.port() }, { P: raw }), ConfigError, raw);
    }
  });

  it('holds a size to its range and says the range', () => {
    const s = { W: env.bytes(4 * 1024 ** 2, 65_535, 2 ** 31 - 1) };
    assert.equal(parseEnv(s, { W: '16MiB' }).W, 16 * 1024 ** 2);
    assert.equal(parseEnv(s, { W: '65535' }).W, 65_535);
    for (const raw of ['64000', '2GiB', '0']) {
      assert.throws(
        () => parseEnv(s, { W: raw }),
        (e: Error) =>
          e instanceof ConfigError && /expected a size in bytes from 65535 to 2147483647/.test(e.message),
        raw,
      );
    }
  });
});

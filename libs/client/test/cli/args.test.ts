import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommandLine, parseCount, parseDuration, parseSize, usage } from '../../src/cli/args.ts';
import { UsageError } from '../../src/cli/exit-codes.ts';

describe('parseCommandLine', () => {
  it('takes the server and key from flags first, then the environment, then the default', () => {
    const env = { SLUICE_SERVER: 'env:1', SLUICE_API_KEY: 'env-key' };
    const fromEnv = parseCommandLine(['status', 'u1'], env);
    assert.equal(fromEnv.kind, 'command');
    assert.equal(fromEnv.connection.server, 'env:1');
    assert.equal(fromEnv.connection.apiKey, 'env-key');
    assert.equal(fromEnv.connection.connectTimeoutMs, 10_000);
    const fromFlags = parseCommandLine(
      ['status', 'u1', '--server', 'flag:2', '--api-key', 'k', '--connect-timeout', '2s', '--json'],
      env,
    );
    assert.equal(fromFlags.kind === 'command' && fromFlags.connection.server, 'flag:2');
    assert.equal(fromFlags.kind === 'command' && fromFlags.connection.apiKey, 'k');
    assert.equal(fromFlags.kind === 'command' && fromFlags.connection.connectTimeoutMs, 2000);
    assert.equal(fromFlags.kind === 'command' && fromFlags.connection.json, true);
    const bare = parseCommandLine(['status', 'u1'], {});
    assert.equal(bare.kind === 'command' && bare.connection.server, '127.0.0.1:50051');
    assert.equal(bare.kind === 'command' && bare.connection.apiKey, undefined);
  });

  it('parses the options of upload', () => {
    const p = parseCommandLine(
      ['upload', 'a', 'b', '-d', 'docs', '--chunk-size', '4MiB', '--wait', '--meta', 'k=v', '--meta', 'x=y'],
      {},
    );
    assert.equal(p.kind, 'command');
    assert.deepEqual(p.positionals, ['a', 'b']);
    assert.equal(p.values.drive, 'docs');
    assert.equal(p.values['chunk-size'], '4MiB');
    assert.equal(p.values.wait, true);
    assert.deepEqual(p.values.meta, ['k=v', 'x=y']);
  });

  it('answers help and version', () => {
    assert.deepEqual(parseCommandLine([], {}), { kind: 'help', text: usage() });
    const help = parseCommandLine(['upload', '--help'], {});
    assert.equal(help.kind, 'help');
    assert.match(help.text, /Usage: sluice upload <file\.\.\.>/);
    assert.match(
      parseCommandLine(['help', 'watch'], {}).kind === 'help'
        ? (parseCommandLine(['help', 'watch'], {}) as { text: string }).text
        : '',
      /sluice watch/,
    );
    assert.deepEqual(parseCommandLine(['--version'], {}), { kind: 'version' });
  });

  it('refuses unknown commands and options with the usage', () => {
    assert.throws(
      () => parseCommandLine(['push'], {}),
      (e: Error) => e instanceof UsageError && /unknown command "push"/.test(e.message),
    );
    assert.throws(
      () => parseCommandLine(['status', 'u', '--colour'], {}),
      (e: Error) =>
        e instanceof UsageError && /--colour/.test(e.message) && /Usage: sluice status/.test(e.message),
    );
    assert.throws(
      () => parseCommandLine(['status', 'u', '--connect-timeout', '10'], {}),
      /--connect-timeout 10 is not a duration/,
    );
  });
});

describe('value parsers', () => {
  it('read sizes, counts and durations, refusing the rest', () => {
    assert.equal(parseSize('--chunk-size', '8MiB'), 8 * 1024 * 1024);
    assert.equal(parseSize('--chunk-size', '1000'), 1000);
    assert.throws(() => parseSize('--chunk-size', '0'), UsageError);
    assert.throws(() => parseSize('--chunk-size', '8 parsecs'), /--chunk-size 8 parsecs is not a size/);
    assert.equal(parseCount('--concurrency', '16', 1, 256), 16);
    assert.throws(() => parseCount('--concurrency', '0', 1, 256), /from 1 to 256/);
    assert.equal(parseDuration('--connect-timeout', '500ms'), 500);
  });
});

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { profileServiceNames } from '@sluice/config';

const cli = join(import.meta.dirname, '..', 'src', 'cli.ts');
const run = promisify(execFile);

/** The services `status --json <args>` reports on, by name. */
async function statusNames(...args: string[]): Promise<string[]> {
  const { stdout } = await run(process.execPath, [cli, 'status', '--json', ...args]);
  return (JSON.parse(stdout) as { services: { name: string }[] }).services.map((service) => service.name);
}

test('--profile cluster adds the Redis and Kafka clusters to the default services, and to any named', async () => {
  assert.deepEqual(await statusNames('--profile', 'cluster'), profileServiceNames('cluster'));
  assert.deepEqual(await statusNames('--profile=cluster'), profileServiceNames('cluster'));
  assert.deepEqual(await statusNames('redis-cluster'), ['redis-cluster']);
  assert.deepEqual(await statusNames('jaeger', '--profile', 'cluster'), [
    ...profileServiceNames('cluster').filter((name) => name !== 'redis-cluster' && name !== 'kafka-cluster'),
    'jaeger',
    'redis-cluster',
    'kafka-cluster',
  ]);
});

test('an unknown profile is refused with the ones there are', async () => {
  await assert.rejects(
    run(process.execPath, [cli, 'up', '--profile', 'big']),
    (error: Error & { code?: number; stderr?: string }) => {
      assert.equal(error.code, 2);
      assert.match(error.stderr ?? '', /--profile takes one of cluster; got big/);
      return true;
    },
  );
});

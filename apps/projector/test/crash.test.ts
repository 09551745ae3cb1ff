import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { readProjection } from '@sluice/projection';
import {
  connectBackbone,
  endOffsets,
  expectedProjection,
  mixedUploads,
  produce,
  projectedCount,
  projectionDatabase,
  snapshot,
  waitProjected,
} from './fixtures.ts';

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));

/** `projector run` as its own process (the real main.ts), killed after the test if still alive. */
function startProjector(t: TestContext, env: NodeJS.ProcessEnv): ChildProcess & { output: () => string } {
  const child = spawn(process.execPath, ['src/main.ts'], {
    cwd: APP_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return Object.assign(child, { output: () => output });
}

describe('projector process', () => {
  it('killed with SIGKILL in the middle of the stream and restarted, ends with the rows the events say, nothing counted twice', async (t) => {
    const backbone = await connectBackbone(t);
    const live = await projectionDatabase(t);
    const groupId = `${backbone.prefix}projector`;
    const env = {
      ...process.env,
      SLUICE_TOPIC_PREFIX: backbone.prefix,
      SLUICE_KAFKA_PARTITIONS: '3',
      SLUICE_MYSQL_URL: live.url,
      SLUICE_PROJECTOR_GROUP_ID: groupId,
      SLUICE_PROJECTOR_HTTP_PORT: '0',
      // Small batches: many transactions, so the kill lands between or inside one of them.
      SLUICE_PROJECTOR_BATCH_SIZE: '20',
      SLUICE_PROJECTOR_BATCH_WAIT: '5ms',
      SLUICE_LOG_LEVEL: 'warn',
    };
    const events = mixedUploads(150, { chunks: 5 });

    const first = startProjector(t, env);
    // Events keep coming while the first process runs, so it is killed with work left.
    const producing = (async () => {
      for (let i = 0; i < events.length; i += 100) {
        await produce(backbone, events.slice(i, i + 100));
        await sleep(30);
      }
    })();
    const deadline = Date.now() + 30_000;
    while ((await projectedCount(live.pool, groupId)) < 200n) {
      assert.ok(Date.now() < deadline, `the first projector projected nothing in 30 s:\n${first.output()}`);
      await sleep(20);
    }
    first.kill('SIGKILL');
    await once(first, 'exit');
    const atKill = await projectedCount(live.pool, groupId);
    await producing;
    const total = [...(await endOffsets(backbone)).values()].reduce((a, b) => a + b, 0n);
    assert.ok(atKill < total, `the kill came after everything was projected (${atKill} of ${total})`);

    const second = startProjector(t, env);
    await waitProjected(live.pool, groupId, backbone, 50_000).catch((err: unknown) => {
      throw new Error(`${(err as Error).message}\n${second.output()}`);
    });
    assert.deepEqual(snapshot(await readProjection(live.pool)), snapshot(expectedProjection(events)));

    second.kill('SIGTERM');
    const [code] = (await once(second, 'exit')) as [number | null];
    assert.equal(code, 0, second.output());
  });
});

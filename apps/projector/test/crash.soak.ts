/**
 * Fault soak (run with `npm run soak`, not by `npm test`): two projector processes share the
 * group while events keep coming for a minute; every few seconds one of them is killed with
 * SIGKILL and started again, so partitions move between them mid-batch and a killed one may
 * still be writing when its partitions are given away. At the end the rows must be exactly
 * what the events say, and a rebuild must find no difference.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { describe, it, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { runRebuild } from '../src/rebuild.ts';
import {
  connectBackbone,
  expectedProjection,
  mixedUploads,
  produce,
  projectedCount,
  silent,
  snapshot,
  testProjection,
  waitProjected,
} from './fixtures.ts';

const APP_DIR = fileURLToPath(new URL('..', import.meta.url));

function start(t: TestContext, env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, ['src/main.ts'], {
    cwd: APP_DIR,
    env,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

describe('projector under repeated SIGKILL', () => {
  it(
    'two instances, one killed every few seconds, end with the rows the events say',
    { timeout: 240_000 },
    async (t) => {
      const backbone = await connectBackbone(t, 6);
      const live = await testProjection(t, 'mysql');
      const groupId = `${backbone.prefix}projector`;
      const env = {
        ...process.env,
        SLUICE_TOPIC_PREFIX: backbone.prefix,
        SLUICE_KAFKA_PARTITIONS: '6',
        SLUICE_MYSQL_URL: live.url,
        SLUICE_PROJECTOR_GROUP_ID: groupId,
        SLUICE_PROJECTOR_HTTP_PORT: '0',
        SLUICE_PROJECTOR_BATCH_SIZE: '200',
        SLUICE_PROJECTOR_BATCH_WAIT: '20ms',
        SLUICE_LOG_LEVEL: 'error',
      };
      const events = mixedUploads(1500, { chunks: 5 });
      const instances = [start(t, env), start(t, env)];

      let producing = true;
      const producer = (async () => {
        for (let i = 0; i < events.length; i += 300) {
          await produce(backbone, events.slice(i, i + 300));
          await sleep(1000);
        }
        producing = false;
      })();
      let kills = 0;
      while (producing) {
        await sleep(4000 + Math.random() * 4000);
        const victim = Math.floor(Math.random() * instances.length);
        instances[victim]!.kill('SIGKILL');
        await once(instances[victim]!, 'exit');
        kills++;
        t.diagnostic(
          `kill ${kills}: instance ${victim} at ${await projectedCount(live.db, groupId)} records`,
        );
        await sleep(500);
        instances[victim] = start(t, env);
      }
      await producer;
      await waitProjected(live.db, groupId, backbone, 120_000);
      assert.ok(kills >= 5, `only ${kills} kills`);
      assert.deepEqual(snapshot(await live.read()), snapshot(expectedProjection(events)));

      for (const child of instances) child.kill('SIGTERM');
      const codes = await Promise.all(
        instances.map(async (c) => ((await once(c, 'exit')) as [number | null])[0]),
      );
      assert.deepEqual(codes, [0, 0]);

      const into = await live.another('rb');
      const out: string[] = [];
      const code = await runRebuild({
        live: live.db,
        url: live.url,
        backbone,
        groupId,
        maxRecords: 2000,
        maxWaitMs: 50,
        into: into.name,
        logger: silent,
        out: (line) => out.push(line),
      });
      assert.equal(code, 0, out.join('\n'));
    },
  );
});

import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { createTopic, kafkaAdmin, requireServices, uniqueName } from '@sluice/testing';
import { produce, until } from './processor-helpers.ts';

const worker = join(import.meta.dirname, 'fixtures', 'worker.ts');

function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : [];
}

function startWorker(t: TestContext, args: string[]): ChildProcess {
  const child = spawn(process.execPath, [worker, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return child;
}

function outFile(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-streams-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return join(dir, 'out');
}

describe('StreamProcessor under failure', { timeout: 180_000 }, () => {
  it('loses nothing when killed with SIGKILL in the middle and restarted', async (t) => {
    await requireServices(['kafka']);
    const topic = await createTopic(t, { partitions: 2 });
    const group = uniqueName('group');
    const out = outFile(t);
    const values = Array.from({ length: 300 }, (_, i) => `r${i}`);
    await produce(topic, values, (v) => `k${Number(v.slice(1)) % 7}`);

    const first = startWorker(t, [topic, group, out, '15']);
    await until('the first worker to get going', () => lines(out).length >= 60, 60_000);
    first.kill('SIGKILL');
    await once(first, 'exit');
    const beforeRestart = new Set(lines(out));
    assert.ok(beforeRestart.size < values.length, 'the kill landed mid-stream');

    const second = startWorker(t, [topic, group, out, '1']);
    await until('every record', () => new Set(lines(out)).size === values.length, 90_000);
    second.kill('SIGTERM');
    const [code] = (await once(second, 'exit')) as [number | null];
    assert.equal(code, 0, 'the restarted worker drains and exits cleanly');
    assert.deepEqual(new Set(lines(out)), new Set(values));
  });

  it('drains on SIGTERM: finishes what it took, commits it, and leaves the group at once', async (t) => {
    await requireServices(['kafka']);
    const topic = await createTopic(t, { partitions: 2 });
    const group = uniqueName('group');
    const out = outFile(t);
    const values = Array.from({ length: 200 }, (_, i) => `r${i}`);
    await produce(topic, values, (v) => `k${Number(v.slice(1)) % 5}`);

    const first = startWorker(t, [topic, group, out, '25']);
    await until('the worker to get going', () => lines(out).length >= 30, 60_000);
    first.kill('SIGTERM');
    const [code] = (await once(first, 'exit')) as [number | null];
    assert.equal(code, 0, 'it exits 0 once drained');
    const drained = lines(out);
    assert.ok(drained.length < values.length, 'the signal landed mid-stream');
    // Left the group rather than waiting out its session: no member remains.
    const admin = kafkaAdmin();
    try {
      const described = await admin.describeGroups({ groups: [group] });
      assert.equal(described.get(group)?.members.size, 0, 'no member left in the group');
    } finally {
      await admin.close();
    }
    // Everything it finished was committed: the next worker takes up exactly the rest.
    const second = startWorker(t, [topic, group, out, '1']);
    await until('every record', () => new Set(lines(out)).size === values.length, 90_000);
    second.kill('SIGTERM');
    await once(second, 'exit');
    assert.equal(lines(out).length, values.length, 'no record processed twice across the drain');
  });

  it('loses nothing when a second worker joins and the first leaves', async (t) => {
    await requireServices(['kafka']);
    const topic = await createTopic(t, { partitions: 4 });
    const group = uniqueName('group');
    const [outA, outB] = [outFile(t), outFile(t)];
    const values = Array.from({ length: 400 }, (_, i) => `r${i}`);
    const keyOf = (v: string): string => `k${Number(v.slice(1)) % 13}`;
    await produce(topic, values.slice(0, 200), keyOf);

    const a = startWorker(t, [topic, group, outA, '20']);
    await until('worker A to get going', () => lines(outA).length >= 40, 60_000);
    const b = startWorker(t, [topic, group, outB, '20']);
    await once(b.stdout!, 'data');
    // B is in the group now; records produced from here on are spread over A and B.
    await produce(topic, values.slice(200), keyOf);
    await until('worker B to get partitions', () => lines(outB).length >= 20, 60_000);
    a.kill('SIGTERM');
    const [code] = (await once(a, 'exit')) as [number | null];
    assert.equal(code, 0);
    await until(
      'every record',
      () => new Set([...lines(outA), ...lines(outB)]).size === values.length,
      90_000,
    );
    b.kill('SIGTERM');
    await once(b, 'exit');
    assert.deepEqual(new Set([...lines(outA), ...lines(outB)]), new Set(values));
  });
});

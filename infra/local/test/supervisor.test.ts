import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { isRunning, readPidFile, spawnDetached, stopProcess, type PidRecord } from '../src/processes.ts';
import { SUPERVISOR_SCRIPT, type SupervisorSpec } from '../src/supervisor.ts';

/** Polls `read` until it returns something, or fails after `ms`. */
async function until<T>(what: string, read: () => T | undefined, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = read();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(50);
  }
}

const running = (pidFile: string) => (): PidRecord | undefined => {
  const record = readPidFile(pidFile);
  return record !== undefined && isRunning(record) ? record : undefined;
};

test('the supervisor restarts a killed child, leaves a paused one alone, and stops them all', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-supervisor-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const child = (name: string): SupervisorSpec['children'][number] => ({
    name,
    command: 'sleep',
    args: ['300'],
    cwd: dir,
    logFile: join(dir, `${name}.log`),
    pidFile: join(dir, `${name}.pid`),
  });
  const [a, b] = [child('a'), child('b')];
  const spec: SupervisorSpec = { children: [a, b], restartDelayMs: 300, stopGraceMs: 2000 };
  writeFileSync(join(dir, 'spec.json'), JSON.stringify(spec));
  const pidFile = join(dir, 'service.pid');
  const supervisor = await spawnDetached({
    command: process.execPath,
    args: [SUPERVISOR_SCRIPT, join(dir, 'spec.json')],
    cwd: dir,
    logFile: join(dir, 'service.log'),
    pidFile,
  });
  t.after(() => stopProcess(pidFile, 5000));

  const firstA = await until('child a starts', running(a.pidFile));
  const firstB = await until('child b starts', running(b.pidFile));

  process.kill(firstA.pid, 'SIGKILL');
  const secondA = await until('child a is started again', () => {
    const record = running(a.pidFile)();
    return record?.pid === firstA.pid ? undefined : record;
  });
  assert.notEqual(secondA.pid, firstA.pid);

  process.kill(firstB.pid, 'SIGSTOP');
  await sleep(1000);
  assert.equal(
    readPidFile(b.pidFile)?.pid,
    firstB.pid,
    'a paused child is not dead: it must not be replaced',
  );
  assert.ok(isRunning(firstB));

  // Still paused when the supervisor is told to stop: it must end anyway.
  assert.equal(await stopProcess(pidFile, 5000), true);
  assert.equal(isRunning(supervisor), false);
  assert.equal(isRunning(secondA), false);
  assert.equal(isRunning(firstB), false);
  assert.equal(readPidFile(a.pidFile), undefined, 'an exited child keeps no pid file');
  assert.equal(readPidFile(b.pidFile), undefined);
  const log = readFileSync(join(dir, 'service.log'), 'utf8');
  assert.match(log, /a: killed by SIGKILL; starting it again in 300 ms/);
  assert.match(log, /every child has exited/);
});

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isRunning, readPidFile, spawnDetached, stopProcess } from '../src/processes.ts';

function scratch(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-processes-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('a service runs in its own session with /dev/null for stdin, its log for output, and nothing else', async (t) => {
  const dir = scratch(t);
  const pidFile = join(dir, 'service.pid');
  const record = await spawnDetached({
    command: 'sleep',
    args: ['30'],
    cwd: dir,
    logFile: join(dir, 'service.log'),
    pidFile,
  });
  t.after(() => stopProcess(pidFile));

  assert.deepEqual(readPidFile(pidFile), record);
  assert.ok(isRunning(record));
  const stat = readFileSync(`/proc/${record.pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  assert.equal(Number(fields[3]), record.pid, 'the service should lead its own session');
  // The service starts as a small bash step that closes inherited descriptors and then
  // execs the command: look once the exec has happened, not while the step still runs.
  for (let i = 0; i < 100 && readFileSync(`/proc/${record.pid}/comm`, 'utf8').trim() !== 'sleep'; i++) {
    await new Promise((r) => setTimeout(r, 20));
  }
  // The kernel names the new program before it closes the close-on-exec descriptors of the
  // old one: give the exec a moment to finish. A descriptor truly inherited stays for good.
  await new Promise((r) => setTimeout(r, 100));
  const fds = readdirSync(`/proc/${record.pid}/fd`)
    .map(Number)
    .sort((a, b) => a - b);
  assert.deepEqual(fds, [0, 1, 2], 'the service inherited descriptors beyond stdio');
  assert.equal(readlinkSync(`/proc/${record.pid}/fd/0`), '/dev/null');
  assert.equal(readlinkSync(`/proc/${record.pid}/fd/1`), join(dir, 'service.log'));

  assert.equal(await stopProcess(pidFile), true);
  assert.equal(isRunning(record), false);
  assert.equal(readPidFile(pidFile), undefined);
});

test('a pid file whose start time does not match is never signalled', async (t) => {
  const dir = scratch(t);
  const pidFile = join(dir, 'service.pid');
  const record = await spawnDetached({
    command: 'sleep',
    args: ['30'],
    cwd: dir,
    logFile: join(dir, 'log'),
    pidFile,
  });
  const realPidFile = join(dir, 'real.pid');
  writeFileSync(realPidFile, JSON.stringify(record));
  t.after(() => stopProcess(realPidFile));

  // The same pid with another start time is what a recycled pid looks like.
  writeFileSync(pidFile, JSON.stringify({ ...record, startTime: '1' }));
  assert.equal(await stopProcess(pidFile), false);
  assert.ok(isRunning(record), 'a process that is not ours was stopped');
});

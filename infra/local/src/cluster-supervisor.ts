/**
 * `node cluster-supervisor.ts <spec.json>`: the one process `npm run infra -- up` starts for a
 * cluster service. It runs the children the spec lists and keeps them running (supervisor.ts);
 * SIGTERM, SIGINT or SIGHUP stops them all, and it exits once they have exited. Its output,
 * one line per child start and exit, is the service's log.
 */
import { readFileSync } from 'node:fs';
import { supervise, type SupervisorSpec } from './supervisor.ts';

const log = (line: string): void => void process.stdout.write(`${new Date().toISOString()} ${line}\n`);

const [specFile] = process.argv.slice(2);
if (specFile === undefined) {
  process.stderr.write('usage: node cluster-supervisor.ts <spec.json> (infra/local writes the spec)\n');
  process.exit(2);
}
const spec = JSON.parse(readFileSync(specFile, 'utf8')) as SupervisorSpec;
log(`supervising ${spec.children.map((child) => child.name).join(', ')} (pid ${process.pid})`);
const supervisor = supervise(spec, log);

let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  // `down` signals the whole process group: the children get this signal too, and the
  // supervisor must outlive them, so a second signal is not allowed to end it early.
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping`);
    void supervisor.stop(signal).then(() => {
      log('every child has exited');
      process.exit(0);
    });
  });
}

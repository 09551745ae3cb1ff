/**
 * The part-writer as a separate process (`src/main.ts` with the test's topics, namespace and
 * bucket), for tests that kill it, run two of it, or measure its memory. With PW_TEST_LOG_DIR
 * set, each process writes its debug log there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { s3Settings, serviceUrl, uniqueName } from '@sluice/testing';
import { MiB, testChecksumMode, type Harness } from './harness.ts';

const main = join(import.meta.dirname, '..', 'src', 'main.ts');

/** Environment of part-writer processes sharing one consumer group. */
export function processEnv(
  t: TestContext,
  h: Harness,
  options: { partConcurrency?: number; uploadConcurrency?: number; partSize?: number } = {},
): NodeJS.ProcessEnv {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-pw-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const s3 = s3Settings();
  const tenants = join(dir, 'tenants.json');
  writeFileSync(
    tenants,
    JSON.stringify({
      tenants: [
        {
          name: 't',
          apiKeys: [{ key: 'test-key' }],
          drives: [
            {
              name: 'd',
              endpoint: serviceUrl('s3'),
              region: s3.region,
              bucket: h.bucket,
              checksumMode: testChecksumMode('crc64nvme'),
              partSizePolicy: { kind: 'fixed', partSize: options.partSize ?? 5 * MiB },
              credentials: { accessKeyIdEnv: 'PW_TEST_S3_KEY', secretAccessKeyEnv: 'PW_TEST_S3_SECRET' },
            },
          ],
        },
      ],
    }),
  );
  return {
    ...process.env,
    PW_TEST_S3_KEY: s3.accessKeyId,
    PW_TEST_S3_SECRET: s3.secretAccessKey,
    SLUICE_TENANTS_FILE: tenants,
    SLUICE_REDIS_NAMESPACE: h.namespace,
    SLUICE_TOPIC_PREFIX: h.topicPrefix,
    SLUICE_KAFKA_PARTITIONS: '2',
    SLUICE_PART_WRITER_HTTP_PORT: '0',
    SLUICE_PART_WRITER_GROUP_ID: uniqueName('pw-group'),
    SLUICE_PART_WRITER_PART_CONCURRENCY: String(options.partConcurrency ?? 2),
    SLUICE_PART_WRITER_UPLOAD_CONCURRENCY: String(options.uploadConcurrency ?? 2),
    SLUICE_LOG_LEVEL: 'error',
  };
}

/** A running part-writer; killed after the test if it still runs. */
export interface PartWriterProcess {
  readonly child: ChildProcess;
  /** Peak resident memory so far (VmHWM), in bytes. */
  peakRss(): number;
  kill(signal: NodeJS.Signals): Promise<number | null>;
}

export function startPartWriter(t: TestContext, env: NodeJS.ProcessEnv): PartWriterProcess {
  const log = process.env['PW_TEST_LOG_DIR'];
  const child = spawn(process.execPath, [main], {
    env: log ? { ...env, SLUICE_LOG_LEVEL: 'debug' } : env,
    stdio: ['ignore', log ? openSync(join(log, `part-writer-${Date.now()}.log`), 'a') : 'ignore', 'inherit'],
  });
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  let peak = 0;
  return {
    child,
    peakRss: () => {
      try {
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        peak = Math.max(peak, Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? 0) * 1024);
      } catch {
        // The process is gone; its last reading stands.
      }
      return peak;
    },
    kill: async (signal) => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill(signal);
      const [code] = (await exited) as [number | null];
      return code;
    },
  };
}

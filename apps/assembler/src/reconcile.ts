/**
 * Aborts multipart uploads no upload owns any more, under every drive's key prefix.
 *
 *   node apps/assembler/src/reconcile.ts [--dry-run]
 *
 * Reads the same variables as the assembler (SLUICE_REDIS_*, SLUICE_TENANTS_FILE) and
 * SLUICE_ASSEMBLER_ORPHAN_GRACE. Prints one line per multipart upload found and a summary;
 * `--dry-run` changes nothing. Exits 0 when done, 1 when it failed, 2 on bad configuration.
 */
import { PartStateStore } from '@sluice/part-writer-core';
import { parseArgs } from 'node:util';
import { AssemblyStore, Reconciler, type ReconcileReport } from '@sluice/assembler-core';
import { Startup } from '@sluice/startup';
import { parseEnvOrExit } from '@sluice/config';
import { createLogger } from '@sluice/logging';
import { RedisStaging } from '@sluice/staging';
import { S3Clients, objectStoresOf } from '@sluice/storage';
import { reconcileEnv } from './config.ts';

const USAGE = 'usage: node apps/assembler/src/reconcile.ts [--dry-run]\n';

let dryRun = false;
try {
  dryRun =
    parseArgs({ options: { 'dry-run': { type: 'boolean', default: false } } }).values['dry-run'] === true;
} catch (err) {
  process.stderr.write(`reconcile: ${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}

const config = parseEnvOrExit('reconcile', reconcileEnv, process.env);
// Logs go to standard error; standard output carries the report.
const logger = createLogger({
  service: 'assembler-reconcile',
  level: config.SLUICE_LOG_LEVEL,
  destination: process.stderr,
});
const startup = new Startup('reconcile', logger);
const tenants = startup.tenants(config.SLUICE_TENANTS_FILE);
const redis = await startup.redis(config);
const staging = new RedisStaging({
  redis,
  namespace: config.SLUICE_REDIS_NAMESPACE,
  ttlMs: config.SLUICE_STAGING_TTL,
});
const s3 = new S3Clients();
const reconciler = new Reconciler({
  staging,
  store: new AssemblyStore({ staging, partWriter: new PartStateStore({ redis, stagingKeys: staging.keys }) }),
  tenants,
  objects: objectStoresOf(s3),
  graceMs: config.SLUICE_ASSEMBLER_ORPHAN_GRACE,
  logger,
});

let code = 0;
try {
  print(await reconciler.run({ dryRun }));
} catch (err) {
  logger.error({ err }, 'reconcile failed');
  process.stderr.write(`reconcile: ${(err as Error).message}\n`);
  code = 1;
} finally {
  await s3.close();
  await redis.quit().catch(() => redis.disconnect());
}
process.exit(code);

function print(report: ReconcileReport): void {
  const verbs: Record<string, string> = {
    aborted: 'aborted',
    'would-abort': 'would abort',
    gone: 'already gone',
    'kept-known': 'kept (its upload is in progress)',
    'kept-recent': 'kept (younger than the grace period)',
  };
  for (const e of report.entries) {
    const initiated = e.initiated ? e.initiated.toISOString() : 'unknown';
    process.stdout.write(
      `${verbs[e.action] ?? e.action}: s3://${e.bucket}/${e.key} upload-id=${e.uploadId} initiated=${initiated} drive=${e.drive}\n`,
    );
  }
  const count = (action: string): number => report.entries.filter((e) => e.action === action).length;
  const orphans = report.dryRun ? count('would-abort') : count('aborted') + count('gone');
  process.stdout.write(
    `${report.dryRun ? 'dry run: ' : ''}${report.entries.length} multipart uploads found, ${orphans} orphaned` +
      `${report.dryRun ? ' (nothing changed)' : ', aborted'}; ${report.knownUploads} uploads known in Redis\n`,
  );
}

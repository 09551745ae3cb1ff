import { commonAppEnv, env, kafkaEnv, redisEnv, tenantsEnv } from '@sluice/config';

const HOUR = 3_600_000;

/** Variables of the assembler and of its reconcile command. */
const shared = {
  ...redisEnv(),
  ...tenantsEnv(),
  /** Idle time after which Redis drops an upload's keys; the same value ingest-api uses. */
  SLUICE_STAGING_TTL: env.duration(48 * HOUR),
};

/** The assembler's variables, with their defaults. */
export const assemblerEnv = {
  ...commonAppEnv('assembler'),
  ...kafkaEnv(),
  ...shared,
  /** Uploads with no activity for this long are expired; keep it below SLUICE_STAGING_TTL. */
  SLUICE_ASSEMBLER_IDLE_TIMEOUT: env.duration(24 * HOUR),
  /** Time between expiry sweeps. */
  SLUICE_ASSEMBLER_EXPIRY_INTERVAL: env.duration(5 * 60_000),
  /** What becomes of an object that fails verification: `delete` it or move it under the prefix. */
  SLUICE_ASSEMBLER_QUARANTINE_MODE: env.oneOf(['delete', 'quarantine'], 'delete'),
  SLUICE_ASSEMBLER_QUARANTINE_PREFIX: env.string('sluice-quarantine/'),
  /** intake.parts records handled at once (uploads completing and verifying in parallel). */
  SLUICE_ASSEMBLER_CONCURRENCY: env.int(8, 1, 256),
  /** Attempts at a record before it is dead-lettered and its upload failed. */
  SLUICE_ASSEMBLER_MAX_ATTEMPTS: env.int(10, 1, 1000),
  /** How long an upload's outcome is remembered to answer redelivered events with the same announcement. */
  SLUICE_ASSEMBLER_OUTCOME_TTL: env.duration(7 * 24 * HOUR),
  /** Test hook: `after-complete` kills the process right after CompleteMultipartUpload succeeded. */
  SLUICE_ASSEMBLER_TEST_CRASH_POINT: env.oneOf(['none', 'after-complete'], 'none'),
};

/** The variables of `reconcile.ts`. */
export const reconcileEnv = {
  ...commonAppEnv('assembler'),
  ...shared,
  /** Multipart uploads younger than this are never aborted by the reconciler. */
  SLUICE_ASSEMBLER_ORPHAN_GRACE: env.duration(HOUR),
};

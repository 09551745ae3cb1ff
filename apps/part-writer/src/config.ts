import { commonAppEnv, env, kafkaEnv, redisEnv, tenantsEnv } from '@sluice/config';

/** part-writer's variables, with their defaults. */
export const partWriterEnv = {
  ...commonAppEnv('part-writer'),
  ...kafkaEnv(),
  ...redisEnv(),
  ...tenantsEnv(),
  /**
   * Parts read or uploaded at once in the process. Each holds its bytes in one buffer, kept for
   * the next part until the process has been idle for 30 s, so memory is about this × the
   * drives' part size + 150 MB (more while parts wait for the whole-file hash).
   */
  SLUICE_PART_WRITER_PART_CONCURRENCY: env.int(8, 1, 1024),
  /** Parts of one upload read or uploaded at once, so one big upload leaves room for others. */
  SLUICE_PART_WRITER_UPLOAD_CONCURRENCY: env.int(4, 1, 1024),
  /**
   * Bytes of one upload's parts read ahead of its whole-file SHA-256 that may wait in memory for
   * the parts before them; past it the hash is given up and the assembler reads the object back.
   */
  SLUICE_PART_WRITER_HASH_REORDER_BYTES: env.bytes(32 * 1024 * 1024),
  /** Consumer group of the part-writers; another name only for a second deployment on the same topics. */
  SLUICE_PART_WRITER_GROUP_ID: env.string('sluice-part-writer'),
  /** Time limit of one S3 request (an UploadPart of a whole part included). */
  SLUICE_PART_WRITER_S3_TIMEOUT: env.duration(120_000),
  /** Idle time after which Redis drops an upload's state; the same as ingest's. */
  SLUICE_STAGING_TTL: env.duration(48 * 3_600_000),
};

import { commonAppEnv, env, kafkaEnv, mysqlEnv } from '@sluice/config';

/** The projector's variables, with their defaults. */
export const projectorEnv = {
  ...commonAppEnv('projector'),
  ...kafkaEnv(),
  ...mysqlEnv(),
  /** Consumer group, and the name the stored positions go under in consumer_offsets. */
  SLUICE_PROJECTOR_GROUP_ID: env.string('sluice-projector'),
  /** Records per transaction at most. */
  SLUICE_PROJECTOR_BATCH_SIZE: env.int(2000, 1, 50_000),
  /** How long a batch waits for more records after its first. */
  SLUICE_PROJECTOR_BATCH_WAIT: env.duration(100),
  /** Connections to MySQL (one writes, the rest answer the status API). */
  SLUICE_PROJECTOR_DB_POOL_SIZE: env.int(5, 2, 200),
  /** How often the lag behind the topics is measured. */
  SLUICE_PROJECTOR_LAG_INTERVAL: env.duration(10_000),
};

import { availableParallelism } from 'node:os';
import { APPS, commonAppEnv, env, kafkaEnv, mysqlEnv, redisEnv, tenantsEnv } from '@sluice/config';
import { DEFAULT_RECEIVE_WINDOWS, MAX_WINDOW_BYTES, MIN_WINDOW_BYTES } from '@sluice/proto';
import { DEFAULT_LIMITS } from './limits.ts';

/** ingest-api's variables, with their defaults. */
export const ingestEnv = {
  ...commonAppEnv('ingest-api'),
  ...kafkaEnv(),
  ...redisEnv(),
  ...tenantsEnv(),
  ...mysqlEnv(),
  SLUICE_INGEST_HOST: env.string('127.0.0.1'),
  SLUICE_INGEST_PORT: env.port(APPS['ingest-api'].grpcPort),
  /** Largest chunk of one UploadChunk call. */
  SLUICE_INGEST_MAX_UNARY_CHUNK: env.bytes(DEFAULT_LIMITS.maxUnaryChunkBytes),
  /** Largest chunk of UploadChunkStream. */
  SLUICE_INGEST_MAX_CHUNK: env.bytes(DEFAULT_LIMITS.maxChunkBytes),
  /** Staged-and-not-stored bytes one upload may hold. */
  SLUICE_INGEST_MAX_STAGED_PER_UPLOAD: env.bytes(DEFAULT_LIMITS.maxStagedBytesPerUpload),
  /**
   * Staged-and-not-stored bytes every upload together may hold, chunks on their way in included
   * (the global budget, exact across instances). Unset or 0: no global budget beyond the Redis
   * memory watermark. Uploads count from their next chunk once it is set.
   */
  SLUICE_INGEST_STAGED_BYTES_MAX: env.bytes(0),
  SLUICE_INGEST_MAX_CHUNK_NUMBER: env.int(DEFAULT_LIMITS.maxChunkNumber, 0, 4_294_967_294),
  SLUICE_INGEST_RETRY_PUSHBACK: env.duration(DEFAULT_LIMITS.retryPushbackMs),
  /** How long a dead instance's chunk writes can hold room under an upload's staging cap and the budgets. */
  SLUICE_INGEST_RESERVATION_LEASE: env.duration(DEFAULT_LIMITS.reservationLeaseMs),
  /** Failed authentications one address may make per minute before its calls are refused (0: no limit). */
  SLUICE_INGEST_AUTH_FAILURES_PER_MINUTE: env.int(DEFAULT_LIMITS.authFailuresPerMinute, 0, 1_000_000),
  /** PEM certificate chain and key of the gRPC server: both for TLS, neither for plaintext. */
  SLUICE_INGEST_TLS_CERT: env.file(''),
  SLUICE_INGEST_TLS_KEY: env.file(''),
  /** PEM CA bundle: when set, clients must present a certificate it signed (mTLS). */
  SLUICE_INGEST_TLS_CLIENT_CA: env.file(''),
  /** How often the certificate files are read again (renewals are served without a restart). */
  SLUICE_INGEST_TLS_RELOAD: env.duration(60_000),
  /** On SIGTERM, how long it answers NOT_SERVING before it stops accepting connections. */
  SLUICE_INGEST_DRAIN_DELAY: env.duration(0),
  /** On SIGTERM, how long chunk calls in flight may take to finish before they are cut. */
  SLUICE_INGEST_DRAIN_GRACE: env.duration(20_000),
  /** Fraction of Redis maxmemory above which chunks are refused… */
  SLUICE_INGEST_REDIS_HIGH_WATERMARK: env.int(85, 1, 100),
  /** …and below which they flow again (percent). */
  SLUICE_INGEST_REDIS_LOW_WATERMARK: env.int(70, 1, 100),
  /**
   * HTTP/2 receive windows: how much a client may send on one gRPC call, and on one connection,
   * before ingest reads it. A connection carries at most its window per round trip; Node's own
   * 64 KiB held a client 20 ms away to 2 MB/s.
   */
  SLUICE_INGEST_RECEIVE_WINDOW: env.bytes(DEFAULT_RECEIVE_WINDOWS.stream, MIN_WINDOW_BYTES, MAX_WINDOW_BYTES),
  SLUICE_INGEST_CONNECTION_WINDOW: env.bytes(
    DEFAULT_RECEIVE_WINDOWS.connection,
    MIN_WINDOW_BYTES,
    MAX_WINDOW_BYTES,
  ),
  /** Threads that hash chunks beside the one serving gRPC; 0 hashes on that one. */
  SLUICE_INGEST_HASH_THREADS: env.int(Math.max(1, Math.min(4, availableParallelism() - 1)), 0, 64),
  /** Idle time after which Redis drops an upload's staged state. */
  SLUICE_STAGING_TTL: env.duration(48 * 3_600_000),
};

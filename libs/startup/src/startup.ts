import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { SluiceError } from '@sluice/errors';
import { EventBackbone, type KafkaConnectionOptions } from '@sluice/kafka';
import { parseTenants, type Tenants } from '@sluice/tenants';
import { connectRedis, type RedisClient } from '@sluice/redis';
import type { RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { kafkaConnection, type KafkaTlsConfig } from './kafka-options.ts';
import { printableUrl, redisOptions, type RedisConfig } from './redis-options.ts';

/**
 * An app's start-up: every step either succeeds or ends the process with status 2 and
 * one line on standard error that says what is wrong (the variable, the file, the
 * service), before anything has started serving.
 */
export class Startup {
  readonly app: string;
  readonly logger: Logger;
  readonly #exit: (code: number) => never;

  constructor(app: string, logger: Logger, exit: (code: number) => never = (code) => process.exit(code)) {
    this.app = app;
    this.logger = logger;
    this.#exit = exit;
  }

  /** Ends the process: status 2, the message logged and on standard error. */
  fatal(message: string): never {
    this.logger.fatal(message);
    process.stderr.write(`${this.app}: ${message}\n`);
    return this.#exit(2);
  }

  /** Reads and parses the tenants file; credentials resolve from `env` or the files it names. */
  tenants(file: string, env: Readonly<Record<string, string | undefined>> = process.env): Tenants {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      return this.fatal(`SLUICE_TENANTS_FILE=${file} cannot be read: ${(err as Error).message}`);
    }
    try {
      return parseTenants(text, { env, readFile: (p) => readFileSync(p, 'utf8') });
    } catch (err) {
      return this.fatal(`${file}: ${(err as Error).message}`);
    }
  }

  /**
   * A connected client of the configured Redis or Redis Cluster (`SLUICE_REDIS_URL`, see
   * `connectRedis`); it reconnects by itself later, logging the errors it meets.
   * @param purpose what this connection is for, in its error log lines
   */
  async redis(config: RedisConfig, purpose?: string): Promise<RedisClient> {
    const url = printableUrl(config.SLUICE_REDIS_URL);
    let options: RedisOptions;
    try {
      options = redisOptions(config);
    } catch (err) {
      return this.fatal((err as Error).message);
    }
    let redis: RedisClient;
    try {
      redis = connectRedis(config.SLUICE_REDIS_URL, options);
    } catch (err) {
      return this.fatal(`SLUICE_REDIS_URL: ${(err as Error).message}`);
    }
    const what = purpose ? `Redis connection error (${purpose})` : 'Redis connection error';
    redis.on('error', (err: Error) => this.logger.warn({ err }, what));
    // ioredis keeps retrying a refused first connection: give it a bounded time, then say so.
    const timeout = new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('no connection within 10 s')), 10_000).unref(),
    );
    try {
      await Promise.race([redis.connect(), timeout]);
    } catch (err) {
      redis.disconnect();
      return this.fatal(`Redis at ${url} cannot be reached: ${(err as Error).message}`);
    }
    return redis;
  }

  /**
   * The event backbone from the shared Kafka variables (`kafkaEnv()`). Its Kafka client id is
   * `<name>-<host>-<pid>`, so each instance can be told apart in a consumer group.
   */
  async backbone(
    config: {
      readonly SLUICE_KAFKA_BROKERS: readonly string[];
      readonly SLUICE_REGISTRY_URL: string;
      readonly SLUICE_TOPIC_PREFIX: string;
      readonly SLUICE_KAFKA_PARTITIONS: number;
      readonly SLUICE_KAFKA_REPLICATION: number;
    } & KafkaTlsConfig,
    metrics: Registry,
    name: string = this.app,
  ): Promise<EventBackbone> {
    // The host and pid tell an operator (and `kafka-consumer-groups --describe`) which
    // instance holds which partitions.
    const clientId = `${name}-${hostname()}-${process.pid}`;
    let connection: KafkaConnectionOptions;
    try {
      connection = kafkaConnection(config);
    } catch (err) {
      return this.fatal((err as Error).message);
    }
    const backbone = await EventBackbone.connect({
      brokers: config.SLUICE_KAFKA_BROKERS,
      connection,
      registryUrl: config.SLUICE_REGISTRY_URL,
      topicPrefix: config.SLUICE_TOPIC_PREFIX,
      partitions: config.SLUICE_KAFKA_PARTITIONS,
      replicationFactor: config.SLUICE_KAFKA_REPLICATION,
      clientId,
      logger: this.logger,
      metrics,
    }).catch((err: unknown) => this.fatal(`the event backbone cannot be reached: ${(err as Error).message}`));
    // Stored events a reset registry can no longer decode are named now, not record by record.
    await backbone.checkStoredSchemas().catch(async (err: unknown) => {
      await backbone.close();
      return this.fatal(
        err instanceof SluiceError && err.code === 'REGISTRY_MISMATCH'
          ? `refusing to start: ${err.message}`
          : `the stored events' schemas cannot be checked: ${(err as Error).message}`,
      );
    });
    return backbone;
  }
}

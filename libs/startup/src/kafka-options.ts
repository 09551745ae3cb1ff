/**
 * TLS to the Kafka brokers, from `kafkaEnv()`: SLUICE_KAFKA_TLS=true connects over TLS and
 * trusts the system's CAs; SLUICE_KAFKA_TLS_CA (which implies TLS) trusts that CA instead;
 * SLUICE_KAFKA_TLS_CERT and _KEY add a client certificate, for brokers that require one
 * (`ssl.client.auth=required`). Without them, plaintext.
 */
import type { KafkaConnectionOptions } from '@sluice/kafka';
import { clientTlsFiles } from './tls-files.ts';

/** The Kafka TLS variables of `kafkaEnv()`. */
export interface KafkaTlsConfig {
  readonly SLUICE_KAFKA_TLS: boolean;
  readonly SLUICE_KAFKA_TLS_CA: string;
  readonly SLUICE_KAFKA_TLS_CERT: string;
  readonly SLUICE_KAFKA_TLS_KEY: string;
}

/** The connection options of every Kafka client an app makes. @throws Error naming the variable to fix */
export function kafkaConnection(config: KafkaTlsConfig): KafkaConnectionOptions {
  const files = clientTlsFiles('SLUICE_KAFKA', {
    ca: config.SLUICE_KAFKA_TLS_CA,
    cert: config.SLUICE_KAFKA_TLS_CERT,
    key: config.SLUICE_KAFKA_TLS_KEY,
  });
  if (!config.SLUICE_KAFKA_TLS && files.ca === undefined) {
    if (files.cert)
      throw new Error(
        'SLUICE_KAFKA_TLS_CERT is set but TLS is off: set SLUICE_KAFKA_TLS=true or SLUICE_KAFKA_TLS_CA',
      );
    return {};
  }
  return { tls: { ...files, rejectUnauthorized: true } };
}
